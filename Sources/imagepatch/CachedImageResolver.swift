import AdmissionWebhook
import OCI
import TaskDefinition

/// The webhook's Entrypoint/Cmd lookups, kept across reviews: a Deployment rollout creates many pods
/// from the same images, and each (image, platform) is read from its registry once per `timeToLive`.
/// A digest-pinned image is cached by its digest; a tag is read again once its entry expires, so a
/// moved tag is seen within that time. Failures are not kept: the next pod tries again.
struct CachedImageResolver: ImageCommandResolver {
    private struct Key: Hashable, Sendable {
        let image: String
        let platform: Platform
    }

    private let base: any ImageCommandResolver
    private let cache: BoundedTTLCache<Key, ResolvedImage>

    init(_ base: any ImageCommandResolver, capacity: Int, timeToLive: Duration) {
        self.base = base
        self.cache = BoundedTTLCache(capacity: capacity, timeToLive: timeToLive)
    }

    func resolve(image: String, platform: Platform) async throws -> ResolvedImage {
        let base = base
        return try await cache.value(for: Key(image: image, platform: platform.normalized)) {
            try await base.resolve(image: image, platform: platform)
        }
    }
}
