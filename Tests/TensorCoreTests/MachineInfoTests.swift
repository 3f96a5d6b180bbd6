import Foundation
import TensorCore
import XCTest

final class MachineInfoTests: XCTestCase {
    func testAllowedCPUsAreAtMostTheMachinesCores() {
        XCTAssertGreaterThanOrEqual(Parallel.allowedCPUs(), 1)
        XCTAssertLessThanOrEqual(Parallel.allowedCPUs(), ProcessInfo.processInfo.activeProcessorCount)
    }

    func testMachineInfoNamesTheCPUAndTheBuild() {
        let m = MachineInfo.current
        XCTAssertTrue(m.cpu.contains("family"), m.cpu)
        XCTAssertTrue(["AVX-512", "AVX2", "baseline"].contains(m.builtFor))
        XCTAssertTrue(m.openBLAS.contains("OpenBLAS"), m.openBLAS)
        XCTAssertEqual(m.threads, Parallel.cores)
        XCTAssertTrue(m.machineType.contains(m.builtFor))
    }
}
