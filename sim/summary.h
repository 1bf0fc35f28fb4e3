/* summary.h - the console report of a run, readable in an 80-column terminal. */
#ifndef GAPSIM_SUMMARY_H
#define GAPSIM_SUMMARY_H

#include <stdio.h>

#include "scenario.h"
#include "study.h"

/* Prints the starting market, the median and 90% band of the key variables at the
 * horizon, and the outcome table per metric with standard errors. */
void summary_print(FILE *f, const gs_scenario *sc, const gs_study_result *res);

#endif
