import Models
import TensorCore
import XCTest

final class VocabularyExtensionTests: XCTestCase {
    /// Old rows with a clear mean and unequal spread per column.
    func oldRows(_ v: Int, _ h: Int) -> Tensor {
        var g = RandomGenerator(seed: 11)
        let t = Tensor.randomNormal([v, h], std: 0.5, generator: &g)
        for r in 0..<v { for j in 0..<h { t.data[r * h + j] = t.data[r * h + j] * Float(j + 1) + Float(j) * 0.1 } }
        return t
    }

    func extend(_ old: Tensor, to rows: Int, _ rule: NewTokenInit, seed: UInt64) throws -> Tensor {
        let t = Tensor.zeros([rows, old.shape[1]])
        var g = RandomGenerator(seed: seed)
        try VocabularyExtension.fill(t, from: old, rule: rule, std: 0.02, generator: &g)
        return t
    }

    func testOldRowsAreCopiedBitForBitAndNewRowsFollowTheSeed() throws {
        let old = oldRows(300, 6)
        for rule in NewTokenInit.allCases {
            let a = try extend(old, to: 340, rule, seed: 1), b = try extend(old, to: 340, rule, seed: 1), c = try extend(old, to: 340, rule, seed: 2)
            XCTAssertEqual(Array(a.values[..<(300 * 6)]), old.values, "\(rule): pretrained rows unchanged")
            XCTAssertEqual(a.values, b.values, "\(rule): same seed, same rows")
            XCTAssertNotEqual(Array(a.values[(300 * 6)...]), Array(c.values[(300 * 6)...]), "\(rule): another seed draws other rows")
        }
    }

    func testNormalRowsHaveTheInitializerRange() throws {
        let t = try extend(oldRows(10, 64), to: 10 + 500, .normal, seed: 3)
        let added = Array(t.values[(10 * 64)...]).map(Double.init)
        let mean = added.reduce(0, +) / Double(added.count)
        let std = (added.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(added.count)).squareRoot()
        XCTAssertEqual(mean, 0, accuracy: 0.002)
        XCTAssertEqual(std, 0.02, accuracy: 0.001)
    }

    /// transformers' mean resizing: the old rows' mean, spread by √(1e-9 · variance) per column.
    func testMeanRowsSitAtTheOldMeanWithATinyCovariance() throws {
        let (v, h) = (400, 5)
        let old = oldRows(v, h)
        let t = try extend(old, to: v + 2000, .mean, seed: 4)
        for j in 0..<h {
            let column = (0..<v).map { Double(old.data[$0 * h + j]) }
            let oldMean = column.reduce(0, +) / Double(v)
            let oldVar = column.map { ($0 - oldMean) * ($0 - oldMean) }.reduce(0, +) / Double(v)
            let added = (v..<(v + 2000)).map { Double(t.data[$0 * h + j]) }
            let mean = added.reduce(0, +) / 2000
            let std = (added.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 2000).squareRoot()
            let expectedStd = (1e-9 * oldVar).squareRoot()
            XCTAssertEqual(mean, oldMean, accuracy: 4 * expectedStd / 2000.0.squareRoot() + 1e-6, "column \(j) mean")
            XCTAssertEqual(std, expectedStd, accuracy: 0.1 * expectedStd + 1e-7, "column \(j) spread")
        }
    }

    func testMeanRuleFallsBackToTheMeanWhenTheCovarianceIsSingular() throws {
        let old = Tensor.zeros([50, 3])
        for r in 0..<50 { old.data[r * 3] = Float(r); old.data[r * 3 + 1] = 2; old.data[r * 3 + 2] = 2 }   // two constant columns
        let t = try extend(old, to: 53, .mean, seed: 5)
        for r in 50..<53 { XCTAssertEqual(Array(t.values[(r * 3)..<(r * 3 + 3)]), [24.5, 2, 2]) }
    }

    func testShapesThatCannotExtendAreRefused() {
        var g = RandomGenerator(seed: 0)
        XCTAssertThrowsError(try VocabularyExtension.fill(.zeros([10, 4]), from: .zeros([12, 4]), rule: .normal, std: 0.02, generator: &g))
        XCTAssertThrowsError(try VocabularyExtension.fill(.zeros([12, 4]), from: .zeros([10, 5]), rule: .normal, std: 0.02, generator: &g))
    }

    func testPublishedSizesHaveTheirCheckpointsShapes() throws {
        guard case .gptNeoX(let p) = PublishedSize.pythia160m.config, case .mamba(let m) = PublishedSize.mamba130m.config else {
            return XCTFail("families")
        }
        XCTAssertEqual([p.vocabSize, p.hiddenSize, p.numHiddenLayers, p.numAttentionHeads, p.intermediateSize], [50304, 768, 12, 12, 3072])
        XCTAssertEqual([m.vocabSize, m.hiddenSize, m.numHiddenLayers, m.stateSize, m.timeStepRank, m.intermediateSize],
                       [50280, 768, 24, 16, 48, 1536])
        XCTAssertNil(PublishedSize.pythia70m.config.shapeDifference(from: PublishedSize.pythia70m.config.withVocabulary(50400)))
        XCTAssertEqual(PublishedSize.pythia70m.config.shapeDifference(from: PublishedSize.pythia160m.config), "hidden_size 512 against 768")
        XCTAssertThrowsError(try PublishedSize(named: "pythia-7b")) { XCTAssertTrue("\($0)".contains("pythia-1.4b")) }
    }
}
