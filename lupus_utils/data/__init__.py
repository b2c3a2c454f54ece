"""The data: the cohort's tables read and validated against the codebook, a centre's own data ingested
(workbooks, CSV, REDCap) and pseudonymised, the Excel template and the REDCap project."""
