/// A task's parameters or stored examples that cannot be used, naming the parameter or file,
/// the value and the constraint.
public struct TaskError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
