import Foundation
import TensorCore
import XCTest

/// What each item of a loop saw: how often it ran and on which thread.
private final class Ledger: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var runs: [Int]
    private(set) var threads: [pthread_t?]
    private(set) var ranges: [Range<Int>] = []

    init(_ count: Int) {
        runs = Array(repeating: 0, count: count)
        threads = Array(repeating: nil, count: count)
    }

    func ran(_ i: Int) { lock.withLock { runs[i] += 1; threads[i] = pthread_self() } }
    func runs(_ i: Int) -> Int { lock.withLock { runs[i] } }
    func ran(_ r: Range<Int>) { lock.withLock { ranges.append(r) } }
}

/// Two cores are enough for these (every machine ScanLab runs on has two); they set the thread
/// count themselves and put it back.
final class ParallelTests: XCTestCase {
    private var saved = 1

    override func setUp() { saved = Parallel.cores; Parallel.setThreads(2) }
    override func tearDown() { Parallel.setThreads(saved) }

    func testForEachRunsEveryItemExactlyOnce() {
        for count in [2, 3, 7, 8, 9, 64, 1000] {
            let ledger = Ledger(count)
            Parallel.forEach(count, workPerItem: 1 << 16) { ledger.ran($0) }
            XCTAssertEqual(ledger.runs, Array(repeating: 1, count: count), "count \(count)")
        }
    }

    func testForChunksCoverTheRangeOnceInAlignedChunks() {
        for count in [40, 100, 1000, 4099] {
            let ledger = Ledger(0)
            Parallel.forChunks(count, work: 1 << 20, alignment: 16) { ledger.ran($0) }
            let ranges = ledger.ranges.sorted { $0.lowerBound < $1.lowerBound }
            XCTAssertGreaterThan(ranges.count, 1, "count \(count): not split")
            XCTAssertEqual(ranges.first?.lowerBound, 0)
            XCTAssertEqual(ranges.last?.upperBound, count)
            for (a, b) in zip(ranges, ranges.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound, "count \(count)") }
            for r in ranges { XCTAssertEqual(r.lowerBound % 16, 0, "count \(count): chunk \(r)") }
        }
    }

    /// Each of two items waits for the other to start: only two threads running at once finish.
    func testTwoItemsRunAtTheSameTime() {
        let started = Ledger(2), met = Ledger(2)
        Parallel.forEach(2, workPerItem: 1 << 20) { i in
            started.ran(i)
            let deadline = Date().addingTimeInterval(10)
            while started.runs(1 - i) == 0 && Date() < deadline { sched_yield() }
            if started.runs(1 - i) != 0 { met.ran(i) }
        }
        XCTAssertEqual(met.runs, [1, 1], "the items did not overlap: the loop ran on one thread")
        XCTAssertEqual(pthread_equal(started.threads[0]!, started.threads[1]!), 0)
    }

    /// A core held up by one slow item leaves the rest to the other: pieces are taken one at a
    /// time, not dealt out in advance.
    func testASlowItemLeavesTheOthersToTheOtherCore() {
        let count = 8
        let ledger = Ledger(count)
        Parallel.forEach(count, workPerItem: 1 << 20) { i in
            ledger.ran(i)
            if i == 0 { Thread.sleep(forTimeInterval: 0.3) }
        }
        XCTAssertEqual(ledger.runs, Array(repeating: 1, count: count))
        let slow = ledger.threads[0]!
        let bySlow = ledger.threads.filter { pthread_equal($0!, slow) != 0 }.count
        XCTAssertEqual(bySlow, 1, "the thread that slept also ran \(bySlow - 1) of the other items")
    }

    /// A loop inside a loop's item runs on that item's thread, and completes.
    func testNestedLoopsRunOnTheItemsThread() {
        let outer = Ledger(4), inner = Ledger(4 * 16)
        Parallel.forEach(4, workPerItem: 1 << 20) { i in
            outer.ran(i)
            Parallel.forEach(16, workPerItem: 1 << 20) { j in inner.ran(i * 16 + j) }
        }
        XCTAssertEqual(outer.runs, Array(repeating: 1, count: 4))
        XCTAssertEqual(inner.runs, Array(repeating: 1, count: 64))
        for i in 0..<4 {
            for j in 0..<16 { XCTAssertTrue(pthread_equal(inner.threads[i * 16 + j]!, outer.threads[i]!) != 0, "item \(i), inner \(j)") }
        }
    }

    /// Loops started from two threads at once both complete, every item once.
    func testLoopsFromTwoThreadsAtOnce() {
        let rounds = 200, count = 32
        let ledgers = [Ledger(rounds * count), Ledger(rounds * count)]
        let done = DispatchGroup()
        for t in 0..<2 {
            done.enter()
            Thread.detachNewThread {
                for r in 0..<rounds { Parallel.forEach(count, workPerItem: 1 << 12) { ledgers[t].ran(r * count + $0) } }
                done.leave()
            }
        }
        XCTAssertEqual(done.wait(timeout: .now() + 60), .success)
        for l in ledgers { XCTAssertEqual(l.runs, Array(repeating: 1, count: rounds * count)) }
    }
}
