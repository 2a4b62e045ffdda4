# Merge every job's metrics.csv into all_data.csv (and jobs.csv / failures.csv), then the report.


rule collect_results:
    input:
        GRID.done_markers(),
    output:
        str(GRID.layout.all_data_csv),
    localrule: True
    shell:
        "{PYTHON} -m cluster_utils.results {EXPERIMENT}"


if GRID.report_file():

    rule report:
        input:
            str(GRID.layout.all_data_csv),
        output:
            GRID.report_file(),
        localrule: True
        shell:
            "{PYTHON} -m cluster_utils.scripts.generate_report {EXPERIMENT} {output:q} --force"
