import ArgumentParser
import Benchmarks
import Dispatch
import Kernels
import TensorCore
import Foundation

struct Probe: ParsableCommand {
    @Option var L: Int = 200
    func run() {
        var g = RandomGenerator(seed: 1)
        let shape = [64, L, 256]
        let aLog = Tensor((0..<256 * 16).map { Float(Foundation.log(Double($0 % 16 + 1))) }, shape: [256, 16])
        let x = [Tensor.randomNormal(shape, generator: &g), Tensor.randomNormal(shape, std: 0.5, generator: &g),
                 Tensor.full([256], -4), aLog, Tensor.randomNormal([64, L, 16], generator: &g),
                 Tensor.randomNormal([64, L, 16], generator: &g), Tensor.ones([256]), Tensor.randomNormal(shape, generator: &g)]
        for _ in 0..<10 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = withNoGrad { Tensor.selectiveScan(u: x[0], delta: x[1], deltaBias: x[2], aLog: x[3], B: x[4], C: x[5], D: x[6], z: x[7]) }
            print(String(format: "%.2f ms", Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6))
        }
    }
}
