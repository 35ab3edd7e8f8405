import Core
import Foundation
import Providers
import Synchronization
import Testing
import TestSupport

@testable import Assistant

/// The README's "Usage examples" compiled and run: each function body below is a README snippet,
/// word for word (the last test checks that).
@Suite struct SeedExamplesTests {
    // README: 1. Simple AI response
    func simpleExample(assistant: Assistant) async -> AssistantResult {
        let response = await assistant.simpleResponse(userMessage: "What's the weather like?", userID: 123456, chatID: 123456)
        print(response.responseContent)
        return response
    }

    // README: 2. Personality-specific response
    func personalityExample(assistant: Assistant) async -> AssistantResult {
        let response = await assistant.personalityResponse(
            userMessage: "Help me with my project", userID: 123456, chatID: 123456,
            personalityStyle: .professional)  // or .friendly, .casual, .helpful
        return response
    }

    // README: 3. Context-aware response
    func contextualExample(assistant: Assistant) async -> AssistantResult {
        let conversationHistory: [ChatMessage] = [
            .user("I'm working on a Python project"),
            .assistant("That sounds interesting! What kind of Python project?"),
            .user("A web scraper for e-commerce sites"),
        ]
        let response = await assistant.contextualResponse(
            userMessage: "What libraries should I use?", conversationHistory: conversationHistory,
            userID: 123456, chatID: 123456)
        return response
    }

    // README: 4. Streaming response with typing
    func streamingExample(assistant: Assistant, showTyping: @escaping @Sendable () async -> Void) async -> String {
        let request = AssistantRequest(
            conversation: .cli("stream_demo"), channel: .cli, userID: "123456",
            text: "Explain quantum computing", streaming: true)
        var shown = ""
        for await chunk in assistant.streamingResponse(request, typing: showTyping) {
            print(chunk, terminator: "")  // each chunk as it arrives
            shown += chunk
        }
        return shown
    }

    // README: 5. The result's fields
    func resultExample(assistant: Assistant) async -> String {
        let result = await assistant.simpleResponse(userMessage: "Hello", userID: 42, chatID: 42)
        if result.hadErrors {
            return "I understand your message. How can I help you specifically? (\(result.errorDetails.joined(separator: "; ")))"
        }
        return "\(result.responseContent) — \(result.modelUsed), $\(result.costEstimate), style: \(result.personalityApplied ?? "none")"
    }

    @Test func everyExampleRunsAgainstTheFakes() async throws {
        let h = try AssistantHarness(script: FakeLLMScript(text: "Here you go."))
        let (assistant, _, _) = try h.start()

        let simple = await simpleExample(assistant: assistant)
        #expect(simple.responseContent == "Here you go." && !simple.hadErrors)
        #expect(simple.modelUsed == "gpt-4o-mini")

        let personality = await personalityExample(assistant: assistant)
        #expect(personality.personalityApplied == "professional")

        let contextual = await contextualExample(assistant: assistant)
        #expect(!contextual.hadErrors)
        let sent = try #require(h.fake.requests.last?.json?["messages"] as? [[String: String]])
        #expect(sent.dropFirst().map { $0["content"] ?? "" } == [
            "I'm working on a Python project", "That sounds interesting! What kind of Python project?",
            "A web scraper for e-commerce sites", "What libraries should I use?",
        ])

        let typings = TypingCounter()
        let streamed = await streamingExample(assistant: assistant) { typings.increment() }
        #expect(streamed == "Here you go.")
        #expect(typings.count >= 1, "the typing indicator was shown before the first text")

        let line = await resultExample(assistant: assistant)
        #expect(line.hasPrefix("Here you go. — gpt-4o-mini, $"))
    }

    @Test func theReadmeShowsTheseExamplesWordForWord() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let source = try String(contentsOfFile: #filePath, encoding: .utf8)
        func normalized(_ text: String) -> String {
            text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: "\n")
        }
        let blocks = readme.components(separatedBy: "```swift\n").dropFirst().map { $0.components(separatedBy: "```").first ?? "" }
        let examples = blocks.filter { $0.contains("assistant.") }
        #expect(examples.count == 5, "the README has five usage examples")
        for block in examples {
            #expect(normalized(source).contains(normalized(block)), "README block not in SeedExamplesTests.swift:\n\(block)")
        }
    }
}

final class TypingCounter: Sendable {
    private let value = Mutex(0)
    func increment() { value.withLock { $0 += 1 } }
    var count: Int { value.withLock { $0 } }
}
