import OCI
import Tar
import Testing

@testable import ImagePatch

/// Layers shaped to make a per-entry scan of the tree or of a path's ancestors quadratic: before
/// the merge kept a tree, each of these took minutes. No time is asserted; they finish or hang.
@Suite("Agent merge in linear time")
struct LinearMergeTests {
    typealias Layers = UnionFilesystemTests

    static func file(_ path: String) -> (TarEntry, String?) { Layers.file(path, "x") }
    static func marker(_ path: String) -> (TarEntry, String?) { (TarEntry(path: path, kind: .regular, mode: 0o644), "") }

    @Test func repeatedOpaqueMarkersOverAFullDirectory() throws {
        let union = try UnionFilesystem()
        try union.apply(
            layer: 0, stream: Layers.layer([Layers.dir("d/")] + (0..<2_000).map { Self.file("d/old-\($0)") }),
            place: "layer 1")
        let fresh = (0..<20_000).map { Self.file("d/new-\($0)") }
        try union.apply(
            layer: 1, stream: Layers.layer(fresh + Array(repeating: Self.marker("d/.wh..wh..opq"), count: 50_000)),
            place: "layer 2")
        let left = union.listedNodes(under: "d").map(\.path)
        #expect(left.count == 20_000)
        #expect(left.allSatisfy { $0.hasPrefix("d/new-") })
    }

    @Test func repeatedWhiteoutsOfADirectoryThisLayerFilled() throws {
        let union = try UnionFilesystem()
        try union.apply(layer: 0, stream: Layers.layer([Self.file("d/old")]), place: "layer 1")
        let fresh = (0..<20_000).map { Self.file("d/new-\($0)") }
        try union.apply(
            layer: 1, stream: Layers.layer(fresh + Array(repeating: Self.marker(".wh.d"), count: 50_000)),
            place: "layer 2")
        #expect(union.node(at: "d/old") == nil)
        #expect(union.listedNodes(under: "d").count == 20_000)
    }

    @Test func manyWhiteoutsEachHidingOneFile() throws {
        let union = try UnionFilesystem()
        try union.apply(
            layer: 0, stream: Layers.layer((0..<50_000).map { Self.file("d/f-\($0)") } + [Self.file("d/kept")]),
            place: "layer 1")
        try union.apply(layer: 1, stream: Layers.layer((0..<50_000).map { Self.marker("d/.wh.f-\($0)") }), place: "layer 2")
        #expect(union.listedNodes(under: "").map(\.path) == ["d/kept"])
    }

    /// 1,000 files 2,000 directories deep (names of 4,000 bytes, under the 4,096-byte limit), all
    /// merged, selected and written: every step costs a name's length, not its depth times it
    /// (before, each entry walked its 2,000 ancestors, each a string of up to 4,000 bytes: minutes).
    @Test func deepPathsAreMergedSelectedAndWritten() async throws {
        let chain = Array(repeating: "a", count: 2_000).joined(separator: "/")
        let tar = try Layers.tarBytes((0..<1_000).map { Self.file("\(chain)/\($0)") })
        let image = try AgentImageDouble(tars: [tar])
        let layer = try await image.build(.testing())
        #expect(layer.paths.count == 1_001, "the install directory and the 1,000 files; implied directories are left to the unpacker")
        #expect(layer.paths.contains(BytePath("opt/CS/rootfs/\(chain)/999")))
    }

    @Test func deepDistinctChainsAreMerged() throws {
        let chain = Array(repeating: "a", count: 1_500).joined(separator: "/")
        let union = try UnionFilesystem()
        try union.apply(layer: 0, stream: Layers.layer((0..<200).map { Self.file("top-\($0)/\(chain)/f") }), place: "layer 1")
        try union.apply(layer: 1, stream: Layers.layer((0..<200).map { Self.marker("top-\($0)/.wh..wh..opq") }), place: "layer 2")
        #expect(union.count == 200, "the opaque markers hid every chain below its top directory")
    }

    @Test func aFileCannotHideBelowAnotherFileAtAnyDepth() throws {
        let chain = Array(repeating: "a", count: 1_000).joined(separator: "/")
        let union = try UnionFilesystem()
        do {
            try union.apply(
                layer: 0, stream: Layers.layer([Layers.link("\(chain)/l", "/etc"), Self.file("\(chain)/l/passwd")]),
                place: "layer 1")
            Issue.record("a name through a symlink was accepted")
        } catch let error as PatchError {
            guard case .hostileAgentEntry(_, let path, let reason) = error else { throw error }
            #expect(path == "\(chain)/l/passwd")
            #expect(reason.contains("symbolic link"))
        }
    }
}
