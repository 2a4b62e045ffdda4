# Merge every job's metrics.csv into all_data.csv (and jobs.csv / failures.csv), then the report.
# The plan is an input too: when the planned jobs change (another grid, an override, or back),
# all_data.csv is collected and the report drawn again, even if every job of the plan already
# ran; it is missing only during `snakemake -n` on a new experiment (nothing is written then).


rule collect_results:
    input:
        GRID.done_markers(),
        [str(GRID.layout.plan_file)] if GRID.layout.plan_file.exists() else [],
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
