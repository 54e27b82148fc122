import Foundation
import Testing

/// The Falcon ECS guide's httpd sample, before and after the vendor's patching utility: our output
/// for "before" must add what the utility added, apart from the differences testdata/ecs/README.md
/// documents (read-only fields stripped, runtimePlatform kept, `essential: false` on the init container).
@Suite("taskdef: golden sample")
struct TaskDefinitionGoldenTests {
    static func patchedSample() async throws -> ProcessResult {
        try await Taskdef.runOrThrow([Taskdef.path("falcon-sample-before.json"), "-cid", Taskdef.cid, "-image", Taskdef.agentImage])
    }

    @Test("every field the vendor's utility adds is in our output, with the same value")
    func matchesVendorOutput() async throws {
        let run = try await Self.patchedSample()
        let readOnlyKeys = try await Taskdef.awsModel().readOnlyKeys
        let ours = try Taskdef.object(run.stdout)
        let after = try Taskdef.object(Taskdef.data("falcon-sample-after.json"))
        let before = try Taskdef.object(Taskdef.data("falcon-sample-before.json"))

        for (key, value) in after where key != "containerDefinitions" {
            if readOnlyKeys.contains(key) {
                #expect(ours[key] == nil, "read-only \(key) must be stripped")
            } else {
                #expect(Taskdef.equal(ours[key], value), "\(key): ours \(String(describing: ours[key])) vs \(value)")
            }
        }
        // The documented difference: we keep runtimePlatform, which the sample lost.
        let extra = Set(ours.keys).subtracting(after.keys)
        #expect(extra == ["runtimePlatform"])
        #expect(Taskdef.equal(ours["runtimePlatform"], before["runtimePlatform"]))

        let ourContainers = try Taskdef.containers(ours)
        let theirContainers = try Taskdef.containers(after)
        #expect(ourContainers.map { $0["name"] as? String } == theirContainers.map { $0["name"] as? String })

        let app = try Taskdef.container(ours, "sample-fargate-app")
        #expect(Taskdef.equal(app, try Taskdef.container(after, "sample-fargate-app")), "app container: \(app)")

        var initContainer = try Taskdef.container(ours, "crowdstrike-falcon-init-container")
        #expect(initContainer["essential"] as? Bool == false, "ECS refuses COMPLETE on an essential container")
        initContainer["essential"] = nil
        #expect(
            Taskdef.equal(initContainer, try Taskdef.container(after, "crowdstrike-falcon-init-container")),
            "init container: \(initContainer)")

        #expect(
            run.stderrLines.contains {
                $0.hasPrefix("imagepatch: notice: removed the read-only fields") && $0.contains("taskDefinitionArn")
            })
        #expect(run.stderrLines.allSatisfy { $0.hasPrefix("imagepatch: notice: ") }, "\(run.stderrText)")
    }

    @Test("fields we do not change keep their order; new ones come after them")
    func keepsOrder() async throws {
        let run = try await Self.patchedSample()
        let readOnlyKeys = try await Taskdef.awsModel().readOnlyKeys
        let beforeData = try Taskdef.data("falcon-sample-before.json")
        let beforeKeys = try Taskdef.orderedKeys(beforeData).filter { !readOnlyKeys.contains($0) }
        #expect(try Taskdef.orderedKeys(run.stdout) == beforeKeys + ["volumes"])

        let app = try Taskdef.orderedKeys(run.stdout, container: "sample-fargate-app")
        let originalApp = try Taskdef.orderedKeys(beforeData, container: "sample-fargate-app")
        #expect(Array(app.prefix(originalApp.count)) == originalApp)
        #expect(Set(app.dropFirst(originalApp.count)) == ["mountPoints", "dependsOn", "environment", "linuxParameters"])
    }

    @Test("the output's top-level keys are all register-task-definition parameters")
    func onlyRegisterKeys() async throws {
        let registerKeys = Set(try await Taskdef.awsModel().registerKeys)
        for run in [
            try await Self.patchedSample(),
            try await Taskdef.runOrThrow([Taskdef.path("describe-output.json"), "-cid", Taskdef.cid, "-image", Taskdef.agentImage]),
        ] {
            let keys = Set(try Taskdef.object(run.stdout).keys)
            #expect(keys.isSubset(of: registerKeys), "not accepted by register-task-definition: \(keys.subtracting(registerKeys))")
        }
    }

    @Test("patching the output again gives the same bytes")
    func idempotent() async throws {
        let first = try await Self.patchedSample()
        let second = try await Taskdef.falcon(["-"], stdin: first.stdout)
        #expect(second.succeeded, "\(second)")
        #expect(second.stdout == first.stdout)
        #expect(!second.stderrText.contains("removed the read-only"), "nothing left to strip: \(second.stderrText)")

        let multi = try await Taskdef.falcon([Taskdef.path("multi-container.json"), "-falconctl-opts", "--tags=a"])
        let again = try await Taskdef.falcon(["-", "-falconctl-opts", "--tags=a"], stdin: multi.stdout)
        #expect(multi.succeeded && again.succeeded, "\(multi)\n\(again)")
        #expect(again.stdout == multi.stdout)
    }

    @Test("the vendor's patched sample is recognised: no second launcher, init container or volume")
    func vendorOutputNotDoubled() async throws {
        let ours = try Taskdef.object(try await Self.patchedSample().stdout)
        let repatched = try Taskdef.object(
            try await Taskdef.runOrThrow(
                [Taskdef.path("falcon-sample-after.json"), "-cid", Taskdef.cid, "-image", Taskdef.agentImage]).stdout)
        var expected = ours
        expected["runtimePlatform"] = nil  // the vendor's output has none to keep
        #expect(Taskdef.equal(repatched, expected), "\(repatched)")
    }
}
