import Foundation
import Testing

/// The ci/ templates (GitHub Actions, Azure Pipelines, GitLab CI), checked with check-jsonschema's
/// vendored SchemaStore schemas, each also given a broken copy it must refuse; and every imagepatch
/// command line in them parsed by the built binary, so a template cannot name a flag that is gone.
@Suite("ci/ templates")
struct CITemplateTests {
    struct Template: Sendable, CustomTestStringConvertible {
        let path: String
        let schema: String
        /// A change that makes the file invalid for that schema.
        let broken: BrokenCopy
        var testDescription: String { path }
    }

    static let templates: [Template] = [
        Template(
            path: "github-action/action.yml", schema: "vendor.github-actions",
            broken: BrokenCopy(
                "a composite step without shell", "      shell: bash\n      env:\n        IMAGEPATCH_VERSION",
                "      env:\n        IMAGEPATCH_VERSION", refusal: "")),
        Template(
            path: "github-action/example.yml", schema: "vendor.github-workflows",
            broken: BrokenCopy("a job without runs-on", "    runs-on: ubuntu-latest\n", "    run-on: ubuntu-latest\n", refusal: "runs-on")),
        Template(
            path: "azure-pipelines/imagepatch.yml", schema: "vendor.azure-pipelines",
            broken: BrokenCopy(
                "a parameter type that does not exist", "  - name: source\n    type: string", "  - name: source\n    type: text",
                refusal: "")),
        Template(
            path: "azure-pipelines/example.yml", schema: "vendor.azure-pipelines",
            broken: BrokenCopy(
                "a list where the VM image is one name", "  vmImage: ubuntu-latest", "  vmImage: [ubuntu-latest]", refusal: "")),
        Template(
            path: "gitlab/imagepatch.gitlab-ci.yml", schema: "vendor.gitlab-ci",
            broken: BrokenCopy(
                "artifacts kept at an unknown time", "    when: always\n", "    when: sometimes\n",
                refusal: "'sometimes' is not one of")),
    ]

    static func file(_ relative: String) -> String { RepositoryPaths.root + "/ci/" + relative }

    /// check-jsonschema on the file as a pipeline uses it:
    /// - GitLab's schema lets a hidden job (`.imagepatch`) hold anything, so the template's job is checked
    ///   under a visible name, as it is once a pipeline `extends:` it;
    /// - the vendored Azure Pipelines schema holds patterns that the default (ECMA) regex engine refuses
    ///   to compile, so it is checked with Python's.
    static func check(_ path: String, schema: String, in tmp: TempDirectory) async throws -> ProcessResult {
        var checked = path
        if schema == "vendor.gitlab-ci" {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text.contains("\n.imagepatch:\n"))
            checked = tmp.appending("visible-" + URL(fileURLWithPath: path).lastPathComponent)
            try text.replacingOccurrences(of: "\n.imagepatch:\n", with: "\nimagepatch:\n").write(
                toFile: checked, atomically: true, encoding: .utf8)
        }
        let regex = schema == "vendor.azure-pipelines" ? ["--regex-variant", "python"] : []
        return try await ProcessRunner.run("python3", ["-m", "check_jsonschema"] + regex + ["--builtin-schema", schema, checked])
    }

    @Test("check-jsonschema accepts the template", arguments: templates)
    func accepted(_ template: Template) async throws {
        try await TempDirectory.with("ci-template") { tmp in
            let checked = try await Self.check(Self.file(template.path), schema: template.schema, in: tmp)
            #expect(checked.succeeded && checked.stdoutText.contains("ok -- validation done"), "\(checked)")
        }
    }

    @Test("check-jsonschema refuses a broken copy", arguments: templates)
    func refused(_ template: Template) async throws {
        try await TempDirectory.with("ci-template") { tmp in
            let copy = try template.broken.write(from: Self.file(template.path), into: tmp)
            let checked = try await Self.check(copy, schema: template.schema, in: tmp)
            // A refusal, not a crash of the checker.
            #expect(
                !checked.succeeded && checked.stdoutText.contains("Schema validation errors were encountered"),
                "\(template.broken.label): \(checked)")
            if !template.broken.refusal.isEmpty {
                #expect(checked.stdoutText.contains(template.broken.refusal), "\(checked)")
            }
        }
    }

    /// No template brings back what imagepatch replaces.
    @Test("no QEMU, buildx, Docker daemon, local registry or privileged container", arguments: templates)
    func nothingImagepatchReplaces(_ template: Template) throws {
        let text = try String(contentsOfFile: Self.file(template.path), encoding: .utf8)
            .split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("#") }.joined(separator: "\n")
        for word in ["qemu", "binfmt", "buildx", "docker run", "docker login", "--privileged", "registry:2", "dind"] {
            #expect(!text.lowercased().contains(word), "\(template.path) mentions \(word)")
        }
        #expect(text.contains("imagepatch patch") || text.contains("template: imagepatch.yml") || text.contains("uses: imagepatch/"))
    }

    /// Every flag on an `imagepatch patch …` line (or in an `args:` input) is one the built binary's
    /// `patch --help` lists.
    @Test("every flag the templates give imagepatch exists", arguments: templates)
    func flagsExist(_ template: Template) async throws {
        let text = try String(contentsOfFile: Self.file(template.path), encoding: .utf8)
        var flags = Set<String>()
        for line in text.split(separator: "\n") where line.contains("imagepatch patch") || line.contains("args: --") {
            for word in line.split(separator: " ") where word.hasPrefix("--") && word.count > 2 {
                flags.insert(String(word.prefix { $0 == "-" || $0.isLetter || $0.isNumber }))
            }
        }
        let help = try await ProcessRunner.run(try RepositoryPaths.binary(), ["patch", "--help"])
        for flag in flags.sorted() {
            #expect(
                help.stdoutText.contains(flag + " ") || help.stdoutText.contains(flag + "\n"),
                "\(template.path): \(flag) is not a patch flag")
        }
        let login = try await ProcessRunner.run(try RepositoryPaths.binary(), ["login", "--help"])
        if text.contains("imagepatch login") {
            #expect(login.succeeded && login.stdoutText.contains("--password-stdin"), "\(login)")
        }
    }
}
