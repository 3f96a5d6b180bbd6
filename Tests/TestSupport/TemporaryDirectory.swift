import Foundation
import XCTest

/// A fresh folder under the system's temporary directory for one test; removed by `tearDown`.
open class TemporaryDirectoryTestCase: XCTestCase {
    public var dir: String!

    open override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "scanlab-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    open override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }
}
