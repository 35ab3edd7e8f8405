public import Core
public import HTTP

/// Builds the provider a configuration describes.
public enum ProviderFactory {
    /// The provider for `configuration`, talking through `transport`; `nil` for an OpenAI or
    /// Anthropic provider without a key.
    public static func make(_ configuration: ProviderConfiguration, transport: any HTTPTransport, timeouts: HTTPTimeouts = HTTPTimeouts()) -> (any LLMProvider)? {
        // Whatever the provider answers, its key is scrubbed from every message (see Redactor).
        Redactor.shared.register([configuration.apiKey?.value].compactMap { $0 })
        switch configuration.kind {
        case .openAI:
            guard let key = configuration.apiKey else { return nil }
            return OpenAIProvider(name: configuration.name, baseURL: configuration.baseURL, apiKey: key.value, organization: configuration.organization, flavor: .openAI, transport: transport, timeouts: timeouts)
        case .anthropic:
            guard let key = configuration.apiKey else { return nil }
            return AnthropicProvider(name: configuration.name, baseURL: configuration.baseURL, apiKey: key.value, transport: transport, timeouts: timeouts)
        case .openAICompatible:
            return OpenAIProvider(name: configuration.name, baseURL: configuration.baseURL, apiKey: configuration.apiKey?.value, flavor: .compatible, transport: transport, timeouts: timeouts)
        case .demo:
            return DemoProvider()
        }
    }
}
