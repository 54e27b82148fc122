import ArgumentParser

/// `--timeout DURATION`, for every command that may wait on a registry or a large image.
struct TimeoutFlag: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Give up when the run has not finished after DURATION (90s, 10m, 1h30m, or seconds): temporary files are removed and nothing is left half-written (a tag moves only as the last step).",
            valueName: "duration"))
    var timeout: String?
}
