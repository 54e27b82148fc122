import JSON
import OCI

/// Turns a fleet file into a plan: the agent's tag resolved to one digest, each repository's
/// tags listed and chosen, every chosen source tag resolved to its digest, targets rendered.
/// Registry requests run `width` at a time; the first error in file order is the one reported,
/// naming the entry, whatever order the answers came in.
public struct FleetPlanner: Sendable {
    public let registry: any FleetRegistry
    public let width: Int

    public init(registry: any FleetRegistry, width: Int = 8) {
        self.registry = registry
        self.width = max(1, width)
    }

    public func plan(_ fleet: FleetFile) async throws -> FleetPlan {
        let file = fleet.file
        let agentDigest: Digest
        do { agentDigest = try await registry.digest(of: fleet.agent) } catch {
            throw FleetError(file: file, place: "agent", "\(fleet.agent): \(error)")
        }
        let agent = DockerReference(registry: fleet.agent.registry, repository: fleet.agent.repository, tag: nil, digest: agentDigest)

        // Each repository's tag list, fetched once even when several entries choose from it.
        let listed = fleet.images.filter { $0.selection?.needsTagList == true }
        var repositories: [String: Int] = [:]  // "registry/repository" -> first entry index
        for image in listed where repositories["\(image.source.registry)/\(image.source.repository)"] == nil {
            repositories["\(image.source.registry)/\(image.source.repository)"] = image.index
        }
        let repositoryOrder = repositories.sorted { $0.value < $1.value }
        let tagLists = try await Self.boundedMap(repositoryOrder, width: width) { entry in
            let image = fleet.images[entry.value]
            do { return try await registry.tags(of: image.source) } catch {
                throw FleetError(file: file, place: image.place, "cannot list the tags of \(entry.key): \(error)")
            }
        }
        var tagsByRepository: [String: [String]] = [:]
        for (entry, tags) in zip(repositoryOrder, tagLists) { tagsByRepository[entry.key] = tags }

        // The images each entry chooses, and their targets: two entries writing one target is an error.
        struct Pending {
            let image: FleetImage
            let sourceTag: DockerReference
            let target: DockerReference
        }
        var pending: [Pending] = []
        var targets: [String: (entry: Int, source: String)] = [:]
        for image in fleet.images {
            var chosen: [DockerReference] = []
            if let selection = image.selection {
                let available = selection.needsTagList ? tagsByRepository["\(image.source.registry)/\(image.source.repository)"] : nil
                do {
                    chosen = try selection.select(from: available).map {
                        DockerReference(registry: image.source.registry, repository: image.source.repository, tag: $0, digest: nil)
                    }
                } catch {
                    throw FleetError(file: file, place: image.place, "\(image.source.registry)/\(image.source.repository): \(error)")
                }
            } else {
                chosen = [image.source]
            }
            guard pending.count + chosen.count <= FleetPlan.maxItems else {
                throw FleetError(file: file, place: image.place, "the plan would hold more than \(FleetPlan.maxItems) items")
            }
            for source in chosen {
                let target: DockerReference
                do { target = try image.target.render(registry: source.registry, repository: source.repository, tag: source.tag) } catch {
                    throw FleetError(file: file, place: "\(image.place).target", "for \(source): \(error)")
                }
                if let other = targets[target.description] {
                    let first = other.entry == image.index ? image.place : "images[\(other.entry)]"
                    throw FleetError(
                        file: file, place: image.place,
                        "\(source) and \(other.source) (\(first)) would both be written to \(target)")
                }
                targets[target.description] = (image.index, source.description)
                pending.append(Pending(image: image, sourceTag: source, target: target))
            }
        }

        // Each distinct source resolved once, to the digest its tag points at now.
        var uniqueSources: [String: Int] = [:]
        var sourceOrder: [Pending] = []
        for item in pending where uniqueSources[item.sourceTag.description] == nil {
            uniqueSources[item.sourceTag.description] = sourceOrder.count
            sourceOrder.append(item)
        }
        let digests = try await Self.boundedMap(sourceOrder, width: width) { item in
            do { return try await registry.digest(of: item.sourceTag) } catch {
                throw FleetError(file: file, place: item.image.place, "\(item.sourceTag): \(error)")
            }
        }

        var items: [FleetPlanItem] = []
        var ids: [String: String] = [:]
        for item in pending {
            let digest = digests[uniqueSources[item.sourceTag.description]!]
            let source = DockerReference(registry: item.sourceTag.registry, repository: item.sourceTag.repository, tag: nil, digest: digest)
            let planItem = FleetPlanItem(
                source: source.description, sourceTag: item.sourceTag.description, agent: agent.description,
                target: item.target.description, options: item.image.options)
            if let other = ids[planItem.id] {
                throw FleetError(file: file, place: item.image.place, "the id \(planItem.id) of \(item.target) is also that of \(other)")
            }
            ids[planItem.id] = item.target.description
            items.append(planItem)
        }
        return FleetPlan(items: items)
    }

    /// `body` over `inputs`, at most `width` at once, results in input order. After an error no new
    /// work starts; the error of the earliest input that failed is thrown.
    static func boundedMap<Input: Sendable, Output: Sendable>(
        _ inputs: [Input], width: Int,
        _ body: @escaping @Sendable (Input) async throws -> Output
    ) async throws -> [Output] {
        var results = [Output?](repeating: nil, count: inputs.count)
        var firstFailure: (index: Int, error: Error)?
        await withTaskGroup(of: (Int, Result<Output, Error>).self) { group in
            var next = 0
            func launch() {
                let index = next
                let input = inputs[index]
                next += 1
                group.addTask {
                    do { return (index, .success(try await body(input))) } catch { return (index, .failure(error)) }
                }
            }
            while next < min(width, inputs.count) { launch() }
            while let (index, result) = await group.next() {
                switch result {
                case .success(let output): results[index] = output
                case .failure(let error):
                    if firstFailure == nil || index < firstFailure!.index { firstFailure = (index, error) }
                }
                if firstFailure == nil && next < inputs.count { launch() }
            }
        }
        if let firstFailure { throw firstFailure.error }
        return results.map { $0! }
    }
}
