import CHDF5
import Foundation
import SystemIO

/// An HDF5 problem, naming the file and the object.
public struct HDF5Error: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A small typed layer over the HDF5 C API: groups, float32 and integer datasets, and scalar
/// attributes. HDF5's own error printing is silenced; every failure becomes an HDF5Error that
/// names the file and the object path. Every non-empty array is written chunked with HDF5's
/// Fletcher-32 filter, so HDF5 checks it on every read (h5py and h5dump read such files as
/// any other); files without checksums (converted weights, older checkpoints) read as before.
/// Files ScanLab writes also end in a whole-file CRC-32 (FileChecksum), checked before HDF5
/// opens them.
public final class HDF5File {
    public let path: String
    let id: hid_t
    private var closed = false

    public enum Mode { case read, create }

    public init(_ path: String, mode: Mode) throws {
        scanlab_H5_silence_errors()
        self.path = path
        switch mode {
        case .read:
            guard FileManager.default.fileExists(atPath: path) else { throw HDF5Error("\(path): no such file") }
            // The whole-file checksum first: HDF5 itself can crash on some damaged files.
            if case .damaged(let why) = try FileChecksum.verify(path) {
                throw HDF5Error("\(path): the file is damaged (\(why)); ScanLab will not read it")
            }
            guard H5Fis_hdf5(path) > 0 else { throw HDF5Error("\(path): not an HDF5 file, or damaged (truncated or overwritten)") }
            id = H5Fopen(path, scanlab_H5F_ACC_RDONLY(), scanlab_H5P_DEFAULT())
            guard id >= 0 else { throw HDF5Error("\(path): the file is damaged (truncated?): HDF5 cannot open it") }
        case .create:
            // HDF5 1.10's format: its superblock, object headers and chunk indexes carry checksums
            // of their own, so damaged metadata (a config attribute, a shape, where a chunk lies)
            // is caught too. The 1.8 format's chunk B-tree has none: a flipped bit there made
            // HDF5 read a chunk as missing and return zeros without a word (FuzzedReaderTests).
            let access = H5Pcreate(scanlab_H5P_FILE_ACCESS())
            defer { H5Pclose(access) }
            H5Pset_libver_bounds(access, H5F_LIBVER_V110, H5F_LIBVER_V110)
            id = H5Fcreate(path, scanlab_H5F_ACC_TRUNC(), scanlab_H5P_DEFAULT(), access)
            guard id >= 0 else { throw HDF5Error("\(path): cannot create the file") }
        }
    }

    /// Writes a new file at `path` through `fill`, atomically (AtomicFile): readers see the old
    /// file or the complete new one.
    public static func writeAtomically(_ path: String, _ fill: (HDF5File) throws -> Void) throws {
        try AtomicFile.write(path) { temporary in
            let f = try HDF5File(temporary, mode: .create)
            do {
                try fill(f)
                try f.flush()
                try f.close()
            } catch {
                f.abandon()
                throw error
            }
            try FileChecksum.append(to: temporary)
        }
    }

    /// Closes a file being written that failed (a full disk, say) and will be deleted. The
    /// written bytes go first, so HDF5 can write out its last metadata and really close it:
    /// a file HDF5 failed to close stays in its open list, and HDF5 crashed at exit on it.
    func abandon() {
        guard !closed else { return }
        closed = true
        truncate(path, 0)
        H5Fclose(id)
    }

    deinit { if !closed { H5Fclose(id) } }

    /// Closes the file, writing everything out; the object is unusable afterwards.
    public func close() throws {
        guard !closed else { return }
        closed = true
        guard H5Fclose(id) >= 0 else { throw HDF5Error("\(path): closing the file failed (disk full?)") }
    }

    /// Writes everything to disk (the caller still renames or closes the file afterwards).
    public func flush() throws {
        guard H5Fflush(id, H5F_SCOPE_GLOBAL) >= 0 else { throw HDF5Error("\(path): writing the file out failed (disk full?)") }
    }

    // MARK: groups and links

    /// Creates every missing group along `path` ("a/b/c").
    public func createGroups(_ groupPath: String) throws {
        var current = ""
        for part in groupPath.split(separator: "/") {
            current += (current.isEmpty ? "" : "/") + part
            if try exists(current) { continue }
            let g = H5Gcreate2(id, current, scanlab_H5P_DEFAULT(), scanlab_H5P_DEFAULT(), scanlab_H5P_DEFAULT())
            guard g >= 0 else { throw HDF5Error("\(path): cannot create group \(current)") }
            H5Gclose(g)
        }
    }

    /// Whether an object exists at `objectPath` (every parent is checked first, as HDF5 requires).
    /// A group HDF5 cannot read (damaged) is an error, not an absence.
    public func exists(_ objectPath: String) throws -> Bool {
        var current = ""
        for part in objectPath.split(separator: "/") {
            current += (current.isEmpty ? "" : "/") + part
            let found = H5Lexists(id, current, scanlab_H5P_DEFAULT())
            if found < 0 { throw HDF5Error("\(path): cannot look up \(current): the file is damaged") }
            if found == 0 { return false }
        }
        return true
    }

    /// Names directly inside a group, in name order.
    public func children(_ groupPath: String) throws -> [String] {
        let g = H5Gopen2(id, groupPath, scanlab_H5P_DEFAULT())
        guard g >= 0 else { throw HDF5Error("\(path): no group \(groupPath)") }
        defer { H5Gclose(g) }
        var info = H5G_info_t()
        guard H5Gget_info(g, &info) >= 0 else { throw HDF5Error("\(path): cannot list group \(groupPath)") }
        var names: [String] = []
        for i in 0..<info.nlinks {
            let size = H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, scanlab_H5P_DEFAULT())
            guard size >= 0 else { throw HDF5Error("\(path): cannot read a name in group \(groupPath)") }
            var buf = [CChar](repeating: 0, count: Int(size) + 1)
            H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buf, buf.count, scanlab_H5P_DEFAULT())
            names.append(String(cString: buf))
        }
        return names
    }

    // MARK: datasets

    /// Elements per chunk at most (4 MiB of float32): a checksum failure names a small part of
    /// a large matrix, and a chunk fits HDF5's default cache.
    static let chunkElements = 1 << 20

    private func writeDataset(_ name: String, shape: [Int], memType: hid_t, fileType: hid_t,
                              _ bytes: UnsafeRawPointer) throws {
        if let slash = name.lastIndex(of: "/") { try createGroups(String(name[..<slash])) }
        let dims = shape.map { hsize_t($0) }
        let space = shape.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(shape.count), dims, nil)
        guard space >= 0 else { throw HDF5Error("\(path): cannot describe shape \(shape) for \(name)") }
        defer { H5Sclose(space) }
        // Scalars and empty arrays cannot be chunked and hold nothing to check.
        var layout = scanlab_H5P_DEFAULT()
        if !shape.isEmpty, !shape.contains(0) {
            var chunk = dims
            let row = shape.dropFirst().reduce(1, *)
            chunk[0] = hsize_t(max(1, min(shape[0], Self.chunkElements / max(1, row))))
            layout = scanlab_H5_checksummed_layout(Int32(shape.count), chunk)
            guard layout >= 0 else { throw HDF5Error("\(path): cannot set up checksums for dataset \(name)") }
        }
        defer { if layout != scanlab_H5P_DEFAULT() { H5Pclose(layout) } }
        let d = H5Dcreate2(id, name, fileType, space, scanlab_H5P_DEFAULT(), layout, scanlab_H5P_DEFAULT())
        guard d >= 0 else { throw HDF5Error("\(path): cannot create dataset \(name)") }
        defer { H5Dclose(d) }
        guard H5Dwrite(d, memType, scanlab_H5S_ALL(), scanlab_H5S_ALL(), scanlab_H5P_DEFAULT(), bytes) >= 0 else {
            throw HDF5Error("\(path): cannot write dataset \(name)")
        }
    }

    /// Float32 values from memory (a tensor's buffer) as a dataset of `shape`.
    public func write(_ name: String, floatsAt values: UnsafePointer<Float>, shape: [Int]) throws {
        try writeDataset(name, shape: shape, memType: scanlab_H5T_NATIVE_FLOAT(), fileType: scanlab_H5T_NATIVE_FLOAT(), UnsafeRawPointer(values))
    }

    public func write(_ name: String, floats: [Float], shape: [Int]) throws {
        try floats.withUnsafeBytes {
            try writeDataset(name, shape: shape, memType: scanlab_H5T_NATIVE_FLOAT(), fileType: scanlab_H5T_NATIVE_FLOAT(), $0.baseAddress!)
        }
    }

    public func write(_ name: String, doubles: [Double], shape: [Int]) throws {
        try doubles.withUnsafeBytes {
            try writeDataset(name, shape: shape, memType: scanlab_H5T_NATIVE_DOUBLE(), fileType: scanlab_H5T_NATIVE_DOUBLE(), $0.baseAddress!)
        }
    }

    public func write(_ name: String, int64s: [Int], shape: [Int]) throws {
        let values = int64s.map(Int64.init)
        try values.withUnsafeBytes {
            try writeDataset(name, shape: shape, memType: scanlab_H5T_NATIVE_INT64(), fileType: scanlab_H5T_NATIVE_INT64(), $0.baseAddress!)
        }
    }

    /// int32 on disk: half the size of int64 for token ids and indices.
    public func write(_ name: String, int32s: [Int32], shape: [Int]) throws {
        try int32s.withUnsafeBytes {
            try writeDataset(name, shape: shape, memType: scanlab_H5T_NATIVE_INT32(), fileType: scanlab_H5T_NATIVE_INT32(), $0.baseAddress!)
        }
    }

    public func write(_ name: String, uint64s: [UInt64]) throws {
        try uint64s.withUnsafeBytes {
            try writeDataset(name, shape: [uint64s.count], memType: scanlab_H5T_NATIVE_UINT64(),
                             fileType: scanlab_H5T_NATIVE_UINT64(), $0.baseAddress!)
        }
    }

    /// Runs `body` on an open dataset (closed afterwards); a missing one is an error naming it.
    private func withDataset<T>(_ name: String, _ body: (hid_t) throws -> T) throws -> T {
        guard try exists(name) else { throw HDF5Error("\(path): no dataset \(name)") }
        let d = H5Dopen2(id, name, scanlab_H5P_DEFAULT())
        guard d >= 0 else { throw HDF5Error("\(path): \(name) is not a readable dataset") }
        defer { H5Dclose(d) }
        return try body(d)
    }

    /// Shape and HDF5 type class of a dataset.
    public func datasetInfo(_ name: String) throws -> (shape: [Int], isFloat: Bool, isInteger: Bool) {
        try withDataset(name) { d in
            let space = H5Dget_space(d)
            defer { H5Sclose(space) }
            let rank = Int(H5Sget_simple_extent_ndims(space))
            guard rank >= 0 else { throw HDF5Error("\(path): cannot read the shape of \(name)") }
            var dims = [hsize_t](repeating: 0, count: rank)
            H5Sget_simple_extent_dims(space, &dims, nil)
            let type = H5Dget_type(d)
            defer { H5Tclose(type) }
            let cls = H5Tget_class(type)
            return (dims.map { Int($0) }, cls == H5T_FLOAT, cls == H5T_INTEGER)
        }
    }

    /// Whether a dataset carries a Fletcher-32 checksum (every non-empty array ScanLab writes).
    public func isChecksummed(_ name: String) throws -> Bool {
        try withDataset(name) { d in
            let plist = H5Dget_create_plist(d)
            defer { H5Pclose(plist) }
            return scanlab_H5_has_fletcher32(plist) != 0
        }
    }

    private func readDataset(_ name: String, memType: hid_t, count: Int, into buffer: UnsafeMutableRawPointer) throws {
        let d = H5Dopen2(id, name, scanlab_H5P_DEFAULT())
        guard d >= 0 else { throw HDF5Error("\(path): cannot open dataset \(name)") }
        defer { H5Dclose(d) }
        guard H5Dread(d, memType, scanlab_H5S_ALL(), scanlab_H5S_ALL(), scanlab_H5P_DEFAULT(), buffer) >= 0 else {
            if scanlab_H5_error_is_checksum() != 0 {
                throw HDF5Error("\(path): dataset \(name) fails its Fletcher-32 checksum: the file is damaged")
            }
            throw HDF5Error("\(path): cannot read dataset \(name): the file is damaged (truncated or overwritten?)")
        }
    }

    /// A float dataset (any float width on disk) read as Float32 into memory `allocate` returns
    /// for its shape (a tensor's buffer).
    public func readFloats<T>(_ name: String, into allocate: ([Int]) -> (T, UnsafeMutablePointer<Float>)) throws -> T {
        let info = try datasetInfo(name)
        guard info.isFloat else { throw HDF5Error("\(path): dataset \(name) is not floating point") }
        let (owner, buffer) = allocate(info.shape)
        try readDataset(name, memType: scanlab_H5T_NATIVE_FLOAT(), count: info.shape.reduce(1, *), into: UnsafeMutableRawPointer(buffer))
        return owner
    }

    public func readDoubles(_ name: String) throws -> (values: [Double], shape: [Int]) {
        let info = try datasetInfo(name)
        guard info.isFloat || info.isInteger else { throw HDF5Error("\(path): dataset \(name) is not numeric") }
        var values = [Double](repeating: 0, count: info.shape.reduce(1, *))
        try values.withUnsafeMutableBytes { try readDataset(name, memType: scanlab_H5T_NATIVE_DOUBLE(), count: $0.count, into: $0.baseAddress!) }
        return (values, info.shape)
    }

    /// An integer dataset (int32 or int64 on disk) as Ints.
    public func readInts(_ name: String) throws -> (values: [Int], shape: [Int]) {
        let info = try datasetInfo(name)
        guard info.isInteger else { throw HDF5Error("\(path): dataset \(name) is not an integer dataset") }
        var values = [Int64](repeating: 0, count: info.shape.reduce(1, *))
        try values.withUnsafeMutableBytes { try readDataset(name, memType: scanlab_H5T_NATIVE_INT64(), count: $0.count, into: $0.baseAddress!) }
        return (values.map { Int($0) }, info.shape)
    }

    /// An integer dataset as Int32 (values converted by HDF5; large id arrays stay compact).
    public func readInt32s(_ name: String) throws -> (values: [Int32], shape: [Int]) {
        let info = try datasetInfo(name)
        guard info.isInteger else { throw HDF5Error("\(path): dataset \(name) is not an integer dataset") }
        var values = [Int32](repeating: 0, count: info.shape.reduce(1, *))
        try values.withUnsafeMutableBytes { try readDataset(name, memType: scanlab_H5T_NATIVE_INT32(), count: $0.count, into: $0.baseAddress!) }
        return (values, info.shape)
    }

    public func readUInt64s(_ name: String) throws -> [UInt64] {
        let info = try datasetInfo(name)
        guard info.isInteger else { throw HDF5Error("\(path): dataset \(name) is not an integer dataset") }
        var values = [UInt64](repeating: 0, count: info.shape.reduce(1, *))
        try values.withUnsafeMutableBytes { try readDataset(name, memType: scanlab_H5T_NATIVE_UINT64(), count: $0.count, into: $0.baseAddress!) }
        return values
    }

    // MARK: attributes (scalars on a group or dataset; "" or "/" is the root)

    private func withObject<T>(_ objectPath: String, _ body: (hid_t) throws -> T) throws -> T {
        let target = objectPath.isEmpty ? "/" : objectPath
        let o = H5Oopen(id, target, scanlab_H5P_DEFAULT())
        guard o >= 0 else { throw HDF5Error("\(path): cannot open \(target) (missing, or the file is damaged)") }
        defer { H5Oclose(o) }
        return try body(o)
    }

    /// Whether the object has the attribute; an object or attribute list HDF5 cannot read
    /// (damaged) is an error, not an absence.
    public func hasAttribute(_ name: String, on objectPath: String = "/") throws -> Bool {
        try withObject(objectPath) { o in
            let found = H5Aexists(o, name)
            guard found >= 0 else { throw HDF5Error("\(path): cannot read the attributes of \(objectPath.isEmpty ? "/" : objectPath): the file is damaged") }
            return found > 0
        }
    }

    private func writeScalarAttribute(_ name: String, on objectPath: String, type: hid_t, _ value: UnsafeRawPointer) throws {
        try withObject(objectPath) { o in
            if H5Aexists(o, name) > 0 { H5Adelete(o, name) }
            let space = H5Screate(H5S_SCALAR)
            defer { H5Sclose(space) }
            let a = H5Acreate2(o, name, type, space, scanlab_H5P_DEFAULT(), scanlab_H5P_DEFAULT())
            guard a >= 0 else { throw HDF5Error("\(path): cannot create attribute \(name) on \(objectPath)") }
            defer { H5Aclose(a) }
            guard H5Awrite(a, type, value) >= 0 else { throw HDF5Error("\(path): cannot write attribute \(name) on \(objectPath)") }
        }
    }

    /// A fixed-length UTF-8 string attribute (h5py reads it as bytes; `.decode()` gives str).
    /// Not variable-length: those live in HDF5's global heap, which has no checksum, and a
    /// damaged one crashes HDF5 itself (h5dump included) on read; a fixed-length string sits in
    /// the attribute's object header, whose checksum HDF5 verifies.
    public func setAttribute(_ name: String, _ value: String, on objectPath: String = "/") throws {
        let type = H5Tcopy(scanlab_H5T_C_S1())
        defer { H5Tclose(type) }
        var bytes = Array(value.utf8)
        if bytes.isEmpty { bytes = [0] }   // HDF5 has no zero-length strings; a NUL pads to ""
        H5Tset_size(type, bytes.count)
        H5Tset_strpad(type, H5T_STR_NULLPAD)
        H5Tset_cset(type, H5T_CSET_UTF8)
        try bytes.withUnsafeBytes { try writeScalarAttribute(name, on: objectPath, type: type, $0.baseAddress!) }
    }

    public func setAttribute(_ name: String, _ value: Int, on objectPath: String = "/") throws {
        var v = Int64(value)
        try writeScalarAttribute(name, on: objectPath, type: scanlab_H5T_NATIVE_INT64(), &v)
    }

    public func setAttribute(_ name: String, _ value: Double, on objectPath: String = "/") throws {
        var v = value
        try writeScalarAttribute(name, on: objectPath, type: scanlab_H5T_NATIVE_DOUBLE(), &v)
    }

    private func openAttribute<T>(_ name: String, on objectPath: String, _ body: (hid_t, hid_t) throws -> T) throws -> T {
        try withObject(objectPath) { o in
            guard H5Aexists(o, name) > 0 else { throw HDF5Error("\(path): attribute \(name) is missing on \(objectPath.isEmpty ? "/" : objectPath)") }
            let a = H5Aopen(o, name, scanlab_H5P_DEFAULT())
            guard a >= 0 else { throw HDF5Error("\(path): cannot open attribute \(name)") }
            defer { H5Aclose(a) }
            let type = H5Aget_type(a)
            defer { H5Tclose(type) }
            return try body(a, type)
        }
    }

    public func stringAttribute(_ name: String, on objectPath: String = "/") throws -> String {
        try openAttribute(name, on: objectPath) { a, type in
            guard H5Tget_class(type) == H5T_STRING else { throw HDF5Error("\(path): attribute \(name) is not a string") }
            if H5Tis_variable_str(type) > 0 {
                let mem = H5Tcopy(scanlab_H5T_C_S1())
                defer { H5Tclose(mem) }
                H5Tset_size(mem, scanlab_H5T_VARIABLE())
                H5Tset_cset(mem, H5Tget_cset(type))
                var ptr: UnsafeMutablePointer<CChar>? = nil
                guard H5Aread(a, mem, &ptr) >= 0, let p = ptr else { throw HDF5Error("\(path): cannot read attribute \(name)") }
                defer { H5free_memory(p) }
                return String(cString: p)
            }
            let size = H5Tget_size(type)
            var buf = [CChar](repeating: 0, count: size + 1)
            guard H5Aread(a, type, &buf) >= 0 else { throw HDF5Error("\(path): cannot read attribute \(name)") }
            return String(cString: buf)
        }
    }

    public func intAttribute(_ name: String, on objectPath: String = "/") throws -> Int {
        try openAttribute(name, on: objectPath) { a, type in
            guard H5Tget_class(type) == H5T_INTEGER else { throw HDF5Error("\(path): attribute \(name) is not an integer") }
            var v: Int64 = 0
            guard H5Aread(a, scanlab_H5T_NATIVE_INT64(), &v) >= 0 else { throw HDF5Error("\(path): cannot read attribute \(name)") }
            return Int(v)
        }
    }

    public func doubleAttribute(_ name: String, on objectPath: String = "/") throws -> Double {
        try openAttribute(name, on: objectPath) { a, type in
            let cls = H5Tget_class(type)
            guard cls == H5T_FLOAT || cls == H5T_INTEGER else { throw HDF5Error("\(path): attribute \(name) is not a number") }
            var v: Double = 0
            guard H5Aread(a, scanlab_H5T_NATIVE_DOUBLE(), &v) >= 0 else { throw HDF5Error("\(path): cannot read attribute \(name)") }
            return v
        }
    }
}
