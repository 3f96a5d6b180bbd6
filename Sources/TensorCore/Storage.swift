import Foundation

/// Owns one 64-byte-aligned buffer of Float32, so SIMD loads in kernels never straddle cache lines.
public final class TensorStorage {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    /// Uninitialised memory: every caller writes all of it before reading.
    init(uninitializedCount count: Int) {
        self.count = count
        pointer = BufferCache.shared.allocate(bytes: max(count, 1) * MemoryLayout<Float>.stride)
            .bindMemory(to: Float.self, capacity: max(count, 1))
    }

    convenience init(zeroedCount count: Int) {
        self.init(uninitializedCount: count)
        pointer.update(repeating: 0, count: count)
    }

    deinit { BufferCache.shared.release(UnsafeMutableRawPointer(pointer), bytes: max(count, 1) * MemoryLayout<Float>.stride) }

    public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }
}

/// Keeps freed large buffers by size for reuse. Training repeats the same shapes every step;
/// without this each large tensor is a fresh mmap whose pages fault in again (seen as most of
/// the time in system calls for long sequences). Small buffers go straight to malloc.
final class BufferCache: @unchecked Sendable {
    static let shared = BufferCache()

    /// Buffers below this size are not cached: malloc reuses them well already.
    let minimumBytes = 1 << 20
    /// Upper bound on memory held idle in the cache.
    let capacityBytes = 4 << 30

    private var free: [Int: [UnsafeMutableRawPointer]] = [:]
    /// Cached buffers oldest first, so eviction frees what has waited longest.
    private var age: [(size: Int, pointer: UnsafeMutableRawPointer)] = []
    private var cachedBytes = 0
    private let lock = NSLock()

    func allocate(bytes: Int) -> UnsafeMutableRawPointer {
        let size = (bytes + 63) & ~63
        if size >= minimumBytes {
            lock.lock()
            if let p = free[size]?.popLast() {
                cachedBytes -= size
                if let i = age.firstIndex(where: { $0.pointer == p }) { age.remove(at: i) }
                lock.unlock()
                return p
            }
            lock.unlock()
        }
        var raw: UnsafeMutableRawPointer?
        let status = posix_memalign(&raw, 64, size)
        guard status == 0, let raw else {
            fatalError("TensorStorage: cannot allocate \(size) bytes (error \(status)); the machine is out of memory")
        }
        return raw
    }

    /// Keeps a large buffer for reuse, evicting the longest-idle ones when the cache is full
    /// (a workload that changes shapes, like a study moving to a new length, then recycles).
    func release(_ p: UnsafeMutableRawPointer, bytes: Int) {
        let size = (bytes + 63) & ~63
        guard size >= minimumBytes, size <= capacityBytes else { Foundation.free(p); return }
        lock.lock()
        var evicted: [UnsafeMutableRawPointer] = []
        while cachedBytes + size > capacityBytes, !age.isEmpty {
            let old = age.removeFirst()
            if var list = free[old.size], let i = list.firstIndex(of: old.pointer) {
                list.remove(at: i)
                free[old.size] = list.isEmpty ? nil : list
            }
            cachedBytes -= old.size
            evicted.append(old.pointer)
        }
        free[size, default: []].append(p)
        age.append((size, p))
        cachedBytes += size
        lock.unlock()
        for e in evicted { Foundation.free(e) }
    }
}
