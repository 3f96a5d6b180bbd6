/// A shape problem, naming the op and the shapes involved.
public struct ShapeError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// NumPy broadcasting: align trailing dimensions; each pair must be equal or contain a 1.
public func broadcastShapes(_ a: [Int], _ b: [Int], op: String) throws -> [Int] {
    let n = max(a.count, b.count)
    var out = [Int](repeating: 1, count: n)
    for i in 0..<n {
        let da = i < n - a.count ? 1 : a[i - (n - a.count)]
        let db = i < n - b.count ? 1 : b[i - (n - b.count)]
        if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else {
            throw ShapeError("\(op): shapes \(a) and \(b) cannot be broadcast (dimension \(i): \(da) vs \(db))")
        }
    }
    return out
}

/// Ops trap with the error's message: shapes are programming errors inside one experiment,
/// and notebook cells run in a supervised worker so a trap cannot take the REPL down.
@inline(never)
func shapeFailure(_ error: Error) -> Never { fatalError("\(error)") }

func checked<T>(_ body: () throws -> T) -> T {
    do { return try body() } catch { shapeFailure(error) }
}
