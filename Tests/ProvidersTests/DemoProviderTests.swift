import Testing

@testable import Providers

@Suite struct DemoProviderTests {
    let request = ChatRequest(model: DemoProvider.modelName, messages: [.system("be nice"), .user("What is Switchboard?")])

    @Test func streamsALabelledDeterministicAnswerWithUsage() async throws {
        let provider = DemoProvider(pace: .zero)
        var deltas: [String] = []
        var finished: (TokenUsage, StopReason)?
        for try await event in provider.stream(request) {
            switch event {
            case .delta(let text): deltas.append(text)
            case .finished(let usage, let stop): finished = (usage, stop)
            }
        }
        let text = deltas.joined()
        #expect(deltas.count > 5, "streams word by word")
        #expect(text.hasPrefix(DemoProvider.label))
        #expect(text.contains("What is Switchboard?"))
        #expect(text == DemoProvider.answer(to: request))
        #expect(finished?.1 == .endTurn)
        #expect((finished?.0.promptTokens ?? 0) > 0)
        #expect((finished?.0.outputTokens ?? 0) > 0)
        let again = try await provider.complete(request)
        #expect(again.text == text)
    }

    @Test func respectsMaxOutputTokens() async throws {
        var short = request
        short.maxOutputTokens = 3
        let response = try await DemoProvider(pace: .zero).complete(short)
        #expect(response.stopReason == .maxTokens)
        #expect(response.text.split(separator: " ").count == 3)
    }

    @Test func cancellingTheConsumerStopsTheStream() async throws {
        let provider = DemoProvider(pace: .seconds(60))
        let task = Task {
            var count = 0
            for try await _ in provider.stream(request) { count += 1 }
            return count
        }
        task.cancel()
        let result = await task.result
        switch result {
        case .success(let count): #expect(count == 0)
        case .failure(let error): #expect((error as? ProviderError)?.code == .cancelled)
        }
    }
}
