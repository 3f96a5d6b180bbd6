/// A figure or live plot that cannot be drawn, and why.
public struct PlotError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
