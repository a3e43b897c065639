"""Many image files -> one results table, on every core of this machine or on a Ray cluster.

    digitrec batch scans/ forms.zip @more.txt --out results.parquet [--engine ray]

The way through, in the order the data flows: `command` (`digitrec batch`, its options and
errors) -> `inputs` (the arguments -> one ordered stream of sources: files, folders, globs,
archives, @lists) -> `job` (what is left to do, the progress bar, the summary) -> an engine,
`local` (a process pool) or `on_ray` (Ray Data), each reading images with `recognition` (sources
-> result rows, shaped by `table`) into `parts` (the resumable folder of Parquet parts) ->
`writers` (the parts, in input order, as .parquet, .csv or .jsonl).
"""
