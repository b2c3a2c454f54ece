"""The science: the SLE instruments, the outcome states, the statistics and the study's analysis as data.
Imports the foundation (paths, numbers, codebook) and the data part's cohort loaders only."""
