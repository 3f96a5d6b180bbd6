import Tasks
/// A run or study that cannot go on as asked, naming the run, field or file and what to do.
public struct StudyError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
