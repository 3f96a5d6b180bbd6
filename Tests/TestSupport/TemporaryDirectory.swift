import Foundation
import XCTest

/// A fresh folder under the system's temporary directory for one test; removed by `tearDown`.
open class TemporaryDirectoryTestCase: XCTestCase {
    /// Set by setUp; a plain String so that interpolating it never yields "Optional(…)".
    public private(set) var dir = ""

    open override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "scanlab-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    open override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }
}
