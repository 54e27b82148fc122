import Dispatch
import Glibc
import ImagePatch
import OCI
import Synchronization

/// What a run shows while it moves bytes, on top of the logger's lines (which every mode but none
/// keeps). It watches the engine through `PatchProgressObserver` and reads the byte counters on a
/// timer: 10 times a second in tty mode (bars under the lines, drawn by `StderrOutput`), once a
/// second in plain mode (a line for a transfer or build every 10 s it lasts).
///
/// Drawing happens under `state`'s lock, so a draw computed before `stop` cannot land after it.
final class ProgressDisplay: PatchProgressObserver {
    enum Style: Sendable { case tty, plain }

    /// The display of this process's run, once `start` made one.
    static var current: ProgressDisplay? { shared.withLock { $0 } }
    private static let shared = Mutex<ProgressDisplay?>(nil)

    /// The tty mode's floor between two drawings: at most 10 a second.
    static let drawInterval = Duration.milliseconds(100)
    /// Plain mode: a line for each transfer or build every this long.
    static let plainInterval = Duration.seconds(10)

    let style: Style
    private let state = Mutex(State())

    fileprivate struct Entry {
        let started: ContinuousClock.Instant
        var reported: ContinuousClock.Instant
        let blob: BlobProgress?
        let layer: AgentLayerProgress?
    }

    private struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
        var order: [ObjectIdentifier] = []
        var lastDraw: ContinuousClock.Instant?
        var stopped = false
        var timer: DispatchSourceTimer?
    }

    private init(style: Style) { self.style = style }

    /// Makes the process's display for `mode` (none for `none`) and starts its timer.
    @discardableResult
    static func start(_ mode: ProgressMode) -> ProgressDisplay? {
        let display: ProgressDisplay
        switch mode {
        case .tty: display = ProgressDisplay(style: .tty)
        case .plain: display = ProgressDisplay(style: .plain)
        case .none, .auto: return nil
        }
        let interval = display.style == .tty ? drawInterval : .seconds(1)
        display.state.withLock { state in
            let timer = DispatchSource.makeTimerSource(queue: .global())
            timer.schedule(deadline: .now() + interval.dispatch, repeating: interval.dispatch)
            timer.setEventHandler { [weak display] in display?.tick() }
            timer.resume()
            state.timer = timer
        }
        shared.withLock { $0 = display }
        return display
    }

    /// Stops drawing for good and erases the bars: before the run's last line (its error, or nothing).
    static func stop() {
        shared.withLock { $0 }?.stop()
    }

    private func stop() {
        state.withLock { state in
            guard !state.stopped else { return }
            state.stopped = true
            state.timer?.cancel()
            state.timer = nil
            if style == .tty { StderrOutput.showLive([]) }
        }
    }

    // MARK: PatchProgressObserver

    func blobStarted(_ blob: BlobProgress) { add(Entry(started: .now, reported: .now, blob: blob, layer: nil), for: blob) }
    func blobFinished(_ blob: BlobProgress) { remove(blob) }
    func agentLayerStarted(_ layer: AgentLayerProgress) { add(Entry(started: .now, reported: .now, blob: nil, layer: layer), for: layer) }
    func agentLayerFinished(_ layer: AgentLayerProgress) { remove(layer) }

    private func add(_ entry: Entry, for object: AnyObject) {
        state.withLock { state in
            let id = ObjectIdentifier(object)
            if state.entries.updateValue(entry, forKey: id) == nil { state.order.append(id) }
            drawIfDue(&state)
        }
    }

    private func remove(_ object: AnyObject) {
        state.withLock { state in
            let id = ObjectIdentifier(object)
            guard state.entries.removeValue(forKey: id) != nil else { return }
            state.order.removeAll { $0 == id }
            // A finished bar goes at once, before the line that says the step finished: only the
            // numbers of the bars that stay wait for their next drawing.
            drawIfDue(&state, now: true)
        }
    }

    private func tick() {
        state.withLock { state in
            switch style {
            case .tty: drawIfDue(&state)
            case .plain: reportLongOnes(&state)
            }
        }
    }

    /// tty: draws the bars unless the last drawing was less than `drawInterval` ago (the timer
    /// draws them then), or `force` (a bar went away). The first event draws at once, so even a
    /// short run shows its bars.
    private func drawIfDue(_ state: inout State, now force: Bool = false) {
        guard style == .tty, !state.stopped else { return }
        let now = ContinuousClock.now
        if !force, let last = state.lastDraw, now - last < Self.drawInterval { return }
        state.lastDraw = now
        let size = TerminalSize.ofStderr()
        let entries = state.order.compactMap { state.entries[$0] }
        StderrOutput.showLive(ProgressLines.bars(entries.map { $0.snapshot(now: now) }, width: size.columns, height: size.rows))
    }

    /// plain: a line for each transfer or build that has gone on `plainInterval` since its last one.
    private func reportLongOnes(_ state: inout State) {
        guard !state.stopped else { return }
        let now = ContinuousClock.now
        for id in state.order {
            guard var entry = state.entries[id], now - entry.reported >= Self.plainInterval else { continue }
            entry.reported = now
            state.entries[id] = entry
            StderrOutput.write("imagepatch: ", ProgressLines.plain(entry.snapshot(now: now)))
        }
    }
}

extension ProgressDisplay.Entry {
    func snapshot(now: ContinuousClock.Instant) -> ProgressLines.Item {
        let seconds = Double((now - started) / .milliseconds(1)) / 1000
        if let blob {
            return .blob(digest: blob.descriptor.digest, done: blob.bytesDone, total: blob.descriptor.size, seconds: seconds)
        }
        let layer = layer!
        return .agentLayer(platform: layer.platform.description, read: layer.bytesIn, total: layer.inputSize, written: layer.bytesOut)
    }
}

/// The text of the bars and of plain mode's progress lines. Pure, for the tests' sake.
enum ProgressLines {
    enum Item: Equatable {
        case blob(digest: Digest, done: Int64, total: Int64, seconds: Double)
        case agentLayer(platform: String, read: Int64, total: Int64, written: Int64)
    }

    /// One line per item, each cut to `width - 1` columns (a line filling the last column would
    /// wrap on some terminals and break the count of lines to erase), at most `height - 2` lines.
    static func bars(_ items: [Item], width: Int, height: Int) -> [String] {
        let room = max(1, min(12, height - 2))
        var lines: [String] = []
        for (index, item) in items.enumerated() {
            if index == room - 1 && items.count > room {
                lines.append("  ... and \(items.count - index) more")
                break
            }
            lines.append(bar(item, width: width))
        }
        return lines.map { fit($0, width: width) }
    }

    static func bar(_ item: Item, width: Int) -> String {
        switch item {
        case .blob(let digest, let done, let total, let seconds):
            let rate = seconds > 0 ? Double(done) / seconds : 0
            var text = "  \(digest.shortDescription)  \(meter(done, of: total))  \(bytes(done))/\(bytes(total))  \(bytes(Int64(rate)))/s"
            if rate > 0, done < total { text += "  ETA \(duration(Double(total - done) / rate))" }
            return text
        case .agentLayer(let platform, let read, let total, let written):
            return
                "  agent layer \(label(platform))  \(meter(read, of: total))  read \(bytes(read))/\(bytes(total))  wrote \(bytes(written))"
        }
    }

    /// plain mode's line (after `imagepatch: `).
    static func plain(_ item: Item) -> String {
        switch item {
        case .blob(let digest, let done, let total, let seconds):
            let rate = seconds > 0 ? Double(done) / seconds : 0
            return "storing \(digest.shortDescription) (\(total) bytes): \(bytes(done)) of \(bytes(total)), \(bytes(Int64(rate)))/s"
        case .agentLayer(let platform, let read, let total, let written):
            return "building the agent layer for \(platform): read \(bytes(read)) of \(bytes(total)), wrote \(bytes(written))"
        }
    }

    /// `[=====>     ]`, 20 wide.
    static func meter(_ done: Int64, of total: Int64) -> String {
        let width = 20
        let filled = total > 0 ? Int(min(Double(done) / Double(total), 1) * Double(width)) : 0
        let bar = String(repeating: "=", count: filled) + (filled < width ? ">" : "")
        return "[" + bar + String(repeating: " ", count: max(0, width - bar.count)) + "]"
    }

    static func bytes(_ count: Int64) -> String {
        let value = Double(max(0, count))
        switch value {
        case ..<1024: return "\(Int(value)) B"
        case ..<(1024 * 1024): return format(value / 1024, "KiB")
        case ..<(1024 * 1024 * 1024): return format(value / 1_048_576, "MiB")
        default: return format(value / 1_073_741_824, "GiB")
        }
    }

    private static func format(_ value: Double, _ unit: String) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(unit)"
    }

    /// `m:ss`, or `h:mm:ss`.
    static func duration(_ seconds: Double) -> String {
        let total = Int(min(seconds, 359_999).rounded(.up))
        let (hours, minutes, rest) = (total / 3600, total / 60 % 60, total % 60)
        let pad = { (n: Int) in n < 10 ? "0\(n)" : "\(n)" }
        return hours > 0 ? "\(hours):\(pad(minutes)):\(pad(rest))" : "\(minutes):\(pad(rest))"
    }

    /// An untrusted name in a bar: control characters escaped, and anything but printable ASCII
    /// shown as `?`, so every character takes one column and the cut to the width is exact.
    static func label(_ text: String) -> String {
        String(String.UnicodeScalarView(TerminalText.escaped(text).unicodeScalars.map { (0x20..<0x7F).contains($0.value) ? $0 : "?" }))
    }

    /// At most `width - 1` characters (the bars are ASCII).
    static func fit(_ line: String, width: Int) -> String {
        let room = max(1, width - 1)
        return line.count <= room ? line : String(line.prefix(room))
    }
}

/// The terminal's size, asked each drawing (so a resize is followed); 80×24 when unknown.
struct TerminalSize {
    var columns: Int
    var rows: Int

    static func ofStderr() -> TerminalSize {
        var size = winsize()
        guard ioctl(2, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return TerminalSize(columns: 80, rows: 24) }
        return TerminalSize(columns: Int(size.ws_col), rows: size.ws_row > 0 ? Int(size.ws_row) : 24)
    }
}

extension Duration {
    fileprivate var dispatch: DispatchTimeInterval { .milliseconds(Int(self / .milliseconds(1))) }
}
