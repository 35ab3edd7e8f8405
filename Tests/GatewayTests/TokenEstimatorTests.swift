import Foundation
import Testing

@testable import Providers

@Suite struct TokenEstimatorTests {
    struct Sample: Decodable {
        let kind: String
        let text: String
        let cl100k_base: Int
        let o200k_base: Int
    }

    static let samples: [Sample] = {
        guard let url = Bundle.module.url(forResource: "token-counts", withExtension: "jsonl"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Sample.self, from: Data($0.utf8)) }
    }()

    /// The mean absolute error per kind stated in TokenEstimator's documentation, plus half a point.
    static let bounds: [String: (cl100k: Double, o200k: Double)] = [
        "en": (5.0, 4.1), "en_long": (3.1, 2.2), "ru": (5.5, 6.7), "zh": (7.1, 6.8), "es": (9.7, 4.4),
        "emoji_mix": (6.9, 6.0), "code": (9.0, 8.2), "json": (3.9, 2.6), "numbers": (3.7, 3.7), "markdown": (5.5, 5.0),
    ]

    @Test func everyKindOfTextIsWithinItsStatedError() throws {
        #expect(Self.samples.count == 200)
        let kinds = Dictionary(grouping: Self.samples, by: \.kind)
        #expect(Set(kinds.keys) == Set(Self.bounds.keys))
        for (kind, samples) in kinds {
            let bound = try #require(Self.bounds[kind])
            for (encoding, limit, exact) in [(TokenEncoding.cl100k, bound.cl100k, \Sample.cl100k_base), (.o200k, bound.o200k, \Sample.o200k_base)] {
                let errors = samples.map { sample in
                    abs(Double(TokenEstimator.tokens(in: sample.text, encoding: encoding) - sample[keyPath: exact])) / Double(sample[keyPath: exact])
                }
                let mean = 100 * errors.reduce(0, +) / Double(errors.count)
                #expect(mean <= limit, "\(kind) under \(encoding.rawValue): mean error \(String(format: "%.1f", mean)) % > \(limit) %")
            }
        }
    }

    @Test func encodingsDifferWhereTheyShould() {
        let russian = String(repeating: "Привет, как дела? Погода сегодня хорошая. ", count: 5)
        let cl = TokenEstimator.tokens(in: russian, encoding: .cl100k)
        let o2 = TokenEstimator.tokens(in: russian, encoding: .o200k)
        #expect(Double(cl) > 2 * Double(o2), "cl100k \(cl) vs o200k \(o2)")
        #expect(TokenEstimator.tokens(in: "", encoding: .o200k) == 0)
        #expect(TokenEstimator.tokens(in: "مرحبا بالعالم", encoding: .cl100k) > 5, "unknown scripts are not free")
    }

    @Test(arguments: [
        ("gpt-4o-mini", TokenEncoding.o200k), ("gpt-4-turbo", .cl100k), ("gpt-3.5-turbo", .cl100k),
        ("claude-haiku-4-5", .anthropic), ("llama3.1", .cl100k), ("o3-mini", .o200k),
        ("GPT-4o-Mini", .o200k), ("Claude-3-Opus", .anthropic), ("gpt-4.1-nano", .o200k), ("gpt-5", .o200k), ("o", .cl100k), ("", .cl100k),
        ("chatgpt-4o-latest", .o200k), ("gpt-4", .cl100k), ("ö1", .cl100k),
    ])
    func modelsMapToTheirFamily(model: String, encoding: TokenEncoding) {
        #expect(TokenEncoding.of(model: model) == encoding)
    }
}
