import Foundation
import FuzzHarnesses
import Testing

/// Every committed fuzz input (the seed corpora and the reproducers of crashes found, under
/// `Tests/Fuzz/TARGET/` and `Tests/Fuzz/TARGET/regressions/`) replayed through its harness, so a
/// crash found once stays fixed without the fuzzer.
@Suite struct CorpusReplayTests {
    static let corpusRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz").path

    @Test(arguments: FuzzTarget.all.map(\.name))
    func replaysEveryCommittedInput(target name: String) async throws {
        let target = try #require(FuzzTarget.named(name))
        let files = try Self.inputs(of: name)
        #expect(!files.isEmpty, "Tests/Fuzz/\(name) has no seed inputs")
        for file in files {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
            await #expect(throws: Never.self, "\(file)") { try await Self.onOwnThread { try target.run(bytes) } }
        }
    }

    /// A corpus directory that names no target is a typo whose inputs would never be replayed.
    @Test func everyCorpusDirectoryNamesATarget() throws {
        let directories = try FileManager.default.contentsOfDirectory(atPath: Self.corpusRoot)
            .filter { !$0.hasPrefix(".") && $0 != "README.md" }
        for directory in directories {
            #expect(FuzzTarget.named(directory) != nil, "Tests/Fuzz/\(directory) names no fuzz target")
        }
        #expect(Set(directories) == Set(FuzzTarget.all.map(\.name)))
    }

    /// Input every parser must refuse: the harness returns quietly rather than report a violation.
    @Test func refusedInputsAreNotViolations() async {
        for target in FuzzTarget.all {
            for input in [[], Array("\u{1}not valid anything".utf8)] {
                await #expect(throws: Never.self, "\(target.name)") { try await Self.onOwnThread { try target.run(input) } }
            }
        }
    }

    /// Harnesses block their thread while async code under test runs (libFuzzer calls them
    /// synchronously); on one of the test pool's few threads that could starve the pool.
    static func onOwnThread(_ body: @escaping @Sendable () throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, Error>) in
            Thread {
                do {
                    try body()
                    done.resume()
                } catch { done.resume(throwing: error) }
            }.start()
        }
    }

    static func inputs(of name: String) throws -> [String] {
        let directory = "\(corpusRoot)/\(name)"
        var files: [String] = []
        for sub in ["", "/regressions"] {
            let path = directory + sub
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { continue }
            for file in names.sorted() where !file.hasPrefix(".") {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: "\(path)/\(file)", isDirectory: &isDirectory), !isDirectory.boolValue {
                    files.append("\(path)/\(file)")
                }
            }
        }
        return files
    }
}
