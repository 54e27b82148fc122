import GzipDecoding
import IOFoundation
import Tar

/// A decoder's output whose errors about the data name `place` (the layer, its index, digest and
/// image): zlib's and libarchive's own messages ("the gzip stream is truncated") say nothing of where.
/// Errors of the stream below the decoder (a digest mismatch, a read error) pass unchanged.
public final class PlaceNamingReader: ByteReader {
    private let decoder: ByteReader
    private let place: String

    public init(_ decoder: ByteReader, place: String) {
        self.decoder = decoder
        self.place = place
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        do { return try decoder.read(into: buffer) } catch let error as GzipDecoderError {
            throw OCIError.malformed(place, "\(error)")
        } catch let error as TarError {
            throw OCIError.malformed(place, "\(error)")
        }
    }
}
