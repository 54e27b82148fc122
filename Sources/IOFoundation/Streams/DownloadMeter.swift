/// A progress display's view of downloads that finish before their reader is handed over (a
/// registry blob is fetched into a private file and verified first): the code that asks for a blob
/// sets `current` around the request, and the download reports, as each chunk arrives, how many
/// bytes of the current attempt it has received (a restarted attempt starts again from 0).
///
/// A task-local, so only the request made inside `withValue` is counted, and nothing changes for
/// code that sets none.
public enum DownloadMeter {
    @TaskLocal public static var current: (@Sendable (Int64) -> Void)?
}
