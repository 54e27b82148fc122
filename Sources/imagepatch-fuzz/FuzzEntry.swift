import FuzzHarnesses
import Glibc

// libFuzzer's entry points. `scripts/fuzz` builds this with `--sanitize fuzzer` (SwiftPM then
// compiles it as a library, and libFuzzer supplies `main`) and `-DIMAGEPATCH_FUZZ`; the target
// comes from $IMAGEPATCH_FUZZ_TARGET, read once. Without the flag (a plain `swift build`) it is a
// program that only says how to build it, so the package builds as usual.

#if IMAGEPATCH_FUZZ
    /// Read once, on first use (a global's initialiser runs exactly once, thread-safely).
    private let selected: FuzzTarget? = {
        let name = getenv("IMAGEPATCH_FUZZ_TARGET").map { String(cString: $0) } ?? ""
        guard let target = FuzzTarget.named(name) else {
            fputs(
                "imagepatch-fuzz: error: set IMAGEPATCH_FUZZ_TARGET to one of: \(FuzzTarget.all.map(\.name).joined(separator: ", "))\n",
                stderr)
            exit(2)
        }
        return target
    }()

    @_cdecl("LLVMFuzzerInitialize")
    public func fuzzerInitialize(
        _ argc: UnsafeMutablePointer<Int32>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?
    ) -> Int32 {
        _ = selected
        return 0
    }

    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        let input = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
        do {
            try selected!.run(input)
        } catch {
            // A broken promise is a crash to libFuzzer, so it saves the input as a reproducer.
            fputs("imagepatch-fuzz: \(selected!.name): \(error)\n", stderr)
            abort()
        }
        return 0
    }
#else
    @main
    enum NotAFuzzBuild {
        static func main() {
            fputs(
                "imagepatch-fuzz: error: this build has no fuzzer; run scripts/fuzz TARGET SECONDS (targets: \(FuzzTarget.all.map(\.name).joined(separator: ", ")))\n",
                stderr)
            exit(2)
        }
    }
#endif
