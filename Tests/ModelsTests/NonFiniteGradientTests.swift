import Foundation
import Models
import TensorCore
import XCTest

final class NonFiniteGradientTests: XCTestCase {
    /// Gradients of lengths that cover the lane loop and its tail; a NaN or an infinity anywhere
    /// in one of them names that parameter, the first in the model's order.
    func testNamesTheFirstParameterWithANonFiniteEntry() {
        let lengths = ["a": 5, "b": 1030, "c": 37]
        func store() -> ParameterStore {
            let s = ParameterStore()
            var g = RandomGenerator(seed: 3)
            for key in ["a", "b", "c"] {
                let n = lengths[key]!
                s.add(key, Tensor.zeros([n]))
                s[key].grad = Tensor.randomNormal([n], generator: &g)
            }
            return s
        }
        XCTAssertNil(firstNonFiniteGradient(store()))
        for (key, position, value) in [("b", 0, Float.nan), ("b", 1029, .infinity), ("b", 517, -.infinity),
                                       ("c", 36, .nan), ("a", 2, .nan), ("c", 31, .infinity)] {
            let s = store()
            s[key].grad!.data[position] = value
            XCTAssertEqual(firstNonFiniteGradient(s), key, "\(value) at \(key)[\(position)]")
        }
        let s = store()
        s["c"].grad!.data[0] = .nan
        s["b"].grad!.data[1000] = .nan
        XCTAssertEqual(firstNonFiniteGradient(s), "b", "the model's order decides, not the position")
    }
}
