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

    # The PDF report (generate_report: when_finished) and its figures as PNGs, which
    # `snakemake --report report.html` puts into Snakemake's HTML report with their captions.
    rule report:
        input:
            str(GRID.layout.all_data_csv),
        output:
            pdf=GRID.report_file(),
            figures=[
                report(
                    f"{GRID.figures_dir}/{name}.png",
                    caption=f"../report/{name}.rst",
                    category="cluster_utils grid search",
                )
                for name in GRID.figure_names()
            ],
        params:
            figures_dir=GRID.figures_dir,
        localrule: True
        shell:
            "{PYTHON} -m cluster_utils.scripts.generate_report {EXPERIMENT} {output.pdf:q}"
            " --force --png-dir {params.figures_dir:q}"
