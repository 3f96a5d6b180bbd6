import Checkpoints
import Foundation
import Models
import TensorCore

/// libFuzzer target for the checkpoint reader (README, "Nothing lost"): every input is a file
/// that must load as a training checkpoint or be refused with an error; a crash or a hang is
/// a finding. Built with `Scripts/fuzz-checkpoint`; a normal build replays files given on the
/// command line through the same function (for a finding's reproducer).
enum CheckpointFuzzer {
    static let path = NSTemporaryDirectory() + "scanlab-fuzz-\(getpid()).h5"

    static func run(_ bytes: UnsafeRawBufferPointer) {
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        var g = RandomGenerator(seed: 1)
        let model = withNoGrad { makeModel(.mamba(MambaConfig(vocabSize: 11, hiddenSize: 8, layers: 1, stateSize: 2)), generator: &g) }
        let optimizer = AdamW(model.parameters, hyper: .init(weightDecay: 0.01))
        _ = try? Checkpoint.loadTrainingState(path, model: model, optimizer: optimizer)
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCheckpoint(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    CheckpointFuzzer.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// libFuzzer's driver, for SwiftPM's executable entry point (it links `main` to this module's).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("scanlab_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { fuzzCheckpoint($0, $1) }
}
#else
@main
struct ReplayFuzzInputs {
    static func main() throws {
        for file in CommandLine.arguments.dropFirst() {
            let data = try Data(contentsOf: URL(fileURLWithPath: file))
            data.withUnsafeBytes { CheckpointFuzzer.run($0) }
            print("\(file): handled")
        }
    }
}
#endif
