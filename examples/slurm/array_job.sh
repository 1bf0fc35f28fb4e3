#!/bin/bash
# array_job.sh - one gapsim run split into independent pieces for clusters without MPI
# (or to use idle nodes piecemeal), then merged into the file a single run would give.
# Submit both steps from the gapsim directory (plain build: make):
#     jobid=$(sbatch --parsable examples/slurm/array_job.sh)
#     sbatch --dependency=afterok:$jobid examples/slurm/array_job.sh merge
#
# A SLURM "job array" runs the same script many times; each copy (task) gets its own
# number in $SLURM_ARRAY_TASK_ID, here 0..15, and runs shard I of 16 (--shard I/16).
# The second submission waits (--dependency=afterok) until every task succeeded and
# then merges the 16 partial files.  Partial files hold the raw values: about
# 8 x 22 x (cycles + 1) bytes per trajectory and sweep point before compression
# (3 KB per trajectory for the 16-cycle baseline), so keep them on scratch space.
#SBATCH --job-name=gapsim-shard
#SBATCH --array=0-15              # task numbers; must match SHARDS below
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=8         # OpenMP threads per task
#SBATCH --mem=16G
#SBATCH --time=00:30:00
#SBATCH --output=gapsim-%A_%a.log # %A job number, %a task number
##SBATCH --account=myproject

set -euo pipefail
SHARDS=16
SCENARIO=scenarios/baseline_point.yaml
N=20000000                        # trajectories of the whole run (all shards)
PARTS=${SCRATCH:-$PWD}/gapsim-parts
export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}
export HDF5_USE_FILE_LOCKING=FALSE
mkdir -p "$PARTS" output

if [ "${1:-}" = merge ]; then
    # Checks that the files are the 16 shards of one run (same scenario, seed, options
    # and gapsim version; none missing or twice), then writes the single-run result.
    build/gapsim merge -o output/baseline-2e7.h5 "$PARTS"/part-*.h5
else
    I=$SLURM_ARRAY_TASK_ID
    # Every shard must get the same scenario and options; only I differs.
    build/gapsim run "$SCENARIO" -n "$N" --paths 1000 --shard "$I/$SHARDS" -q \
        -o "$PARTS/part-$I.h5"
fi
