#!/bin/bash
# mpi_job.sh - one gapsim run spread over several nodes with MPI.  Submit with
#     sbatch examples/slurm/mpi_job.sh
# from the gapsim directory, after building the MPI variant there once: make MPI=1
#
# Lines starting with #SBATCH are instructions to SLURM (the cluster's job scheduler);
# it reads them before the job starts.  Change the numbers to suit your cluster.
#SBATCH --job-name=gapsim-mpi
#SBATCH --nodes=4                 # machines to use
#SBATCH --ntasks-per-node=1       # MPI ranks per machine: one, using all its cores...
#SBATCH --cpus-per-task=32        # ...through this many OpenMP threads (= cores per node)
#SBATCH --mem=0                   # all the memory of each node (about 330 bytes per trajectory)
#SBATCH --time=01:00:00           # wall-clock limit, hh:mm:ss; the job is killed after it
#SBATCH --output=gapsim-%j.log    # console output; %j is the job number
# Many clusters also need an account or partition, e.g.:
##SBATCH --account=myproject
##SBATCH --partition=compute

set -euo pipefail
# Load the site's MPI if it uses environment modules (names differ between clusters;
# `module avail` lists them).  gapsim must be built against the same MPI.
# module load openmpi

export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}  # threads inside each rank
export OMPI_MCA_io=romio321          # OpenMPI's default MPI-IO (ompio) can hang HDF5 writes
# Parallel file systems (Lustre, GPFS, NFS) without file locking:
export HDF5_USE_FILE_LOCKING=FALSE

mkdir -p output
# srun starts one gapsim per MPI rank on the nodes SLURM gave the job; the ranks share
# the trajectories and write one file together.  The result is the same, bit for bit,
# as a run on one machine.  (Outside SLURM: mpirun -np 4 build-mpi/gapsim run ...)
srun build-mpi/gapsim run scenarios/baseline.yaml -n 100000000 --paths 1000 \
    -o output/baseline-1e8.h5
