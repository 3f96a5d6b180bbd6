import Foundation
import Tasks
import XCTest

final class TokenLayoutTests: XCTestCase {
    func testCompactLayoutIsTheFromScratchVocabulary() throws {
        let l = TokenLayout.compact(length: 4)
        XCTAssertEqual([l.pad, l.bos, l.query, l.content(0), l.position(0), l.vocabularySize], [0, 1, 2, 3, 7, 11])
    }

    /// The order of shared/anchors/torch_train_step.py: <out>, <bos>, <syn_k>, <pos_k> after the base vocabulary.
    func testAppendedLayoutFollowsThePretrainedVocabulary() throws {
        let l = TokenLayout.appended(to: 50304, length: 50)
        XCTAssertNil(l.pad)
        XCTAssertEqual([l.query, l.bos, l.content(0), l.content(49), l.position(0), l.position(49)],
                       [50304, 50305, 50306, 50355, 50356, 50405])
        XCTAssertEqual(l.vocabularySize, 50406)
        XCTAssertEqual(l.addedTokens, 102)
        let task = try PositionRetrievalTask(length: 50, placement: .suffix, layout: l)
        let (tokens, answer) = task.tokens(order: Array(0..<50), target: 7)
        XCTAssertEqual(tokens.first, 50305)
        XCTAssertEqual(Array(tokens.suffix(2)), [50304, 50313])
        XCTAssertEqual(answer, 50363)
        XCTAssertTrue(tokens.allSatisfy { $0 >= 50304 }, "the task reads only its own tokens")
    }

    func testLayoutFileNamesEveryTokenOnce() throws {
        let l = TokenLayout.appended(to: 300, length: 3)
        let object = try JSONSerialization.jsonObject(with: Data(l.json.utf8)) as! [String: Any]
        let tokens = object["tokens"] as! [String: Int]
        XCTAssertEqual(tokens, ["<out>": 300, "<bos>": 301, "<syn_0>": 302, "<syn_1>": 303, "<syn_2>": 304,
                                "<pos_0>": 305, "<pos_1>": 306, "<pos_2>": 307])
        XCTAssertEqual(object["added_tokens"] as! [String], ["<out>", "<bos>", "<syn_0>", "<syn_1>", "<syn_2>", "<pos_0>", "<pos_1>", "<pos_2>"])
        XCTAssertEqual(object["base_vocabulary"] as? Int, 300)
        XCTAssertEqual(object["vocab_size"] as? Int, 308)
    }

    func testLayoutOfAnotherLengthIsRefused() {
        XCTAssertThrowsError(try PositionRetrievalTask(length: 5, placement: .suffix, layout: .compact(length: 4)))
    }
}
