import Foundation
import Testing
import TestSupport

/// `switchboard trace ID` tells one answer's story from the database, from any process.
@Suite struct TraceCommandTests {
    /// OpenAI fails once, Anthropic answers: `chat --json` names its request, and `trace` shows
    /// the intake, the route and why, both attempts with their outcomes and costs, the error the
    /// first one logged, and the total.
    @Test func aFailedOverAnswerIsTracedStepByStep() async throws {
        let openAI = try FakeLLMServer(.openAI, defaultScript: FakeLLMScript(text: "From OpenAI."))
        openAI.enqueue(.failing(.status(500, type: "server_error", message: "The server had an error")))
        let anthropic = try FakeLLMServer(.anthropic, defaultScript: FakeLLMScript(text: "From Claude.", promptTokens: 30, outputTokens: 4))
        let directory = try TemporaryDirectory()
        let runner = SwitchboardProcess(workingDirectory: directory.path, environment: [
            "OPENAI_API_KEY": "sk-x", "OPENAI_BASE_URL": openAI.baseURL, "ANTHROPIC_API_KEY": "sk-ant-x", "ANTHROPIC_BASE_URL": anthropic.baseURL,
            "LLM_ENABLE_CACHING": "false",
        ])
        let chat = try await runner.run(["chat", "--json", "Hello there"])
        #expect(chat.status == 0, "\(chat.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(chat.stdout.utf8)) as? [String: Any])
        #expect(object["response_content"] as? String == "From Claude.")
        let id = try #require(object["request_id"] as? String)

        let trace = try await runner.run(["trace", id])
        #expect(trace.status == 0, "\(trace.stderr)")
        let lines = trace.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "request \(id)  conversation cli:oneshot  (times UTC)")
        let steps = lines.dropFirst().map { ($0.dropFirst(26).prefix(11).trimmingCharacters(in: .whitespaces), String($0.dropFirst(37))) }
        #expect(steps.map(\.0) == ["intake", "route", "attempt 1", "error", "attempt 2", "cost"], "\(trace.stdout)")
        #expect(steps[0].1 == "switchboard chat, conversation cli:oneshot")
        #expect(steps[1].1.hasPrefix("gpt-4o-mini (normal priority"))
        #expect(steps[2].1.hasPrefix("openai gpt-4o-mini: error server_error, $0.000000, "))
        #expect(steps[3].1.hasPrefix("openai server_error: "))
        #expect(steps[4].1.hasPrefix("anthropic claude-haiku-4-5: ok, 30 in / 4 out tokens, $0.000050, first token "))
        #expect(steps[5].1 == "$0.000050 in all over 2 attempts")

        let unknown = try await runner.run(["trace", "00000000-0000-4000-8000-000000000000"])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("nothing is recorded under request 00000000-0000-4000-8000-000000000000"))
    }
}
