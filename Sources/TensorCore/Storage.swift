import Foundation

/// Owns one 64-byte-aligned buffer of Float32, so SIMD loads in kernels never straddle cache lines.
public final class TensorStorage {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    /// Uninitialised memory: every caller writes all of it before reading.
    init(uninitializedCount count: Int) {
        self.count = count
        var raw: UnsafeMutableRawPointer?
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        let status = posix_memalign(&raw, 64, (bytes + 63) & ~63)
        guard status == 0, let raw else {
            fatalError("TensorStorage: cannot allocate \(bytes) bytes (errno \(status))")
        }
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    convenience init(zeroedCount count: Int) {
        self.init(uninitializedCount: count)
        pointer.update(repeating: 0, count: count)
    }

    deinit { free(pointer) }

    public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }
}
