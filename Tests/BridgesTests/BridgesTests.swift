import CBLAS
import CHDF5
import CReadline
import XCTest

/// The system libraries link and answer; each bridge is used for real by its module.
final class BridgesTests: XCTestCase {
    func testOpenBLASComputesADotProduct() {
        let x: [Float] = [1, 2, 3], y: [Float] = [4, 5, 6]
        XCTAssertEqual(cblas_sdot(3, x, 1, y, 1), 32)
    }

    func testHDF5ReportsAVersionAndItsNativeFloatIsFourBytes() {
        var major: UInt32 = 0, minor: UInt32 = 0, release: UInt32 = 0
        XCTAssertEqual(H5get_libversion(&major, &minor, &release), 0)
        XCTAssertGreaterThanOrEqual(major, 1)
        XCTAssertEqual(H5Tget_size(scanlab_H5T_NATIVE_FLOAT()), 4)
    }

    func testReadlineHistoryRecordsLines() {
        using_history()
        add_history("scanlab help")
        XCTAssertGreaterThanOrEqual(history_length, 1)
        XCTAssertEqual(String(cString: history_get(history_base + history_length - 1).pointee.line), "scanlab help")
    }
}
