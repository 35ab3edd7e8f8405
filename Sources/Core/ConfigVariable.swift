/// One environment variable that Switchboard reads: its name, its default and what it means.
///
/// `ConfigVariable.all` is the single list that drives validation (unknown names get a warning),
/// `config show`, and the test that keeps `.env.example` complete.
public struct ConfigVariable: Sendable, Hashable {
    /// The variable's name, as written in the environment or `.env`.
    public let name: String
    /// The value used when the variable is not set; empty means "unset".
    public let defaultValue: String
    /// One line on what the variable does.
    public let summary: String
    /// Whether the value is a secret that must never be printed or logged.
    public let isSecret: Bool

    init(_ name: String, default defaultValue: String = "", secret: Bool = false, _ summary: String) {
        self.name = name
        self.defaultValue = defaultValue
        self.summary = summary
        self.isSecret = secret
    }
}

extension ConfigVariable {
    // The seed guide's variables.
    public static let openAIAPIKey = ConfigVariable("OPENAI_API_KEY", secret: true, "OpenAI API key; enables the openai provider")
    public static let openAIOrganization = ConfigVariable("OPENAI_ORGANIZATION", "OpenAI organization id, sent as OpenAI-Organization when set")
    public static let anthropicAPIKey = ConfigVariable("ANTHROPIC_API_KEY", secret: true, "Anthropic API key; enables the anthropic provider")
    public static let preferredProvider = ConfigVariable("LLM_PREFERRED_PROVIDER", "Provider tried first for normal-priority requests (openai, anthropic or a compatible provider's name); empty = automatic")
    public static let preferredModel = ConfigVariable("LLM_PREFERRED_MODEL", "Model used for normal-priority requests (e.g. gpt-4o-mini); empty = automatic")
    public static let dailyQuota = ConfigVariable("LLM_DAILY_QUOTA", default: "100.0", "Spend limit per provider per UTC day, in USD")
    public static let hourlyQuota = ConfigVariable("LLM_HOURLY_QUOTA", default: "20.0", "Spend limit per provider per UTC hour, in USD")
    public static let userDailyQuota = ConfigVariable("LLM_USER_DAILY_QUOTA", default: "1.0", "Spend limit per Telegram user per UTC day, in USD (0 = no per-user limit)")
    public static let enableCaching = ConfigVariable("LLM_ENABLE_CACHING", default: "true", "Answer identical requests from the response cache")
    public static let cacheTTL = ConfigVariable("LLM_CACHE_TTL", default: "3600", "How long a cached answer stays valid, in seconds")
    public static let enableStreaming = ConfigVariable("LLM_ENABLE_STREAMING", default: "true", "Stream answers token by token (false: send one final message)")
    public static let enablePersonality = ConfigVariable("LLM_ENABLE_PERSONALITY", default: "true", "Adapt the answer's style to each user's personality")
    public static let memoryWindow = ConfigVariable("LLM_MEMORY_WINDOW", default: "30", "Recent messages sent with each request (20–50); older ones are summarized")
    public static let enableMemory = ConfigVariable("LLM_ENABLE_MEMORY", default: "true", "Remember conversations (recent messages, summary, key facts)")
    public static let maxInputLength = ConfigVariable("LLM_MAX_INPUT_LENGTH", default: "16000", "Longest user message accepted, in characters; longer ones get a clear reply and are not sent")
    public static let masterKey = ConfigVariable("LLM_MASTER_KEY", secret: true, "Key that encrypts stored secrets; create one with `switchboard keygen` (required in production)")
    public static let debugMode = ConfigVariable("LLM_DEBUG_MODE", default: "false", "Detailed logging of routing and provider calls (never of secrets)")
    public static let logLevel = ConfigVariable("LOG_LEVEL", default: "INFO", "Log level: TRACE, DEBUG, INFO, NOTICE, WARNING, ERROR or CRITICAL")
    public static let environment = ConfigVariable("ENVIRONMENT", default: "development", "development, staging, production or test; production enforces a master key")
    public static let globalDailyLimit = ConfigVariable("LLM_GLOBAL_DAILY_LIMIT", default: "1000.0", "Spend limit across all providers per UTC day, in USD")
    public static let enableCostAlerts = ConfigVariable("LLM_ENABLE_COST_ALERTS", default: "true", "Alert at 80 % and 100 % of a quota (console, and admins on Telegram)")
    public static let enableMetrics = ConfigVariable("LLM_ENABLE_METRICS", default: "false", "Expose Prometheus metrics at /metrics, unauthenticated, on SWITCHBOARD_METRICS_LISTEN, else SWITCHBOARD_HTTP_LISTEN (stats are always recorded)")

    // Added by Switchboard.
    public static let openAIBaseURL = ConfigVariable("OPENAI_BASE_URL", default: "https://api.openai.com/v1", "OpenAI API base URL; requests go to {base}/chat/completions")
    public static let anthropicBaseURL = ConfigVariable("ANTHROPIC_BASE_URL", default: "https://api.anthropic.com", "Anthropic API base URL; requests go to {base}/v1/messages")
    public static let compatibleProviders = ConfigVariable("LLM_COMPATIBLE_PROVIDERS", "Extra OpenAI-compatible providers, comma-separated names (e.g. groq,ollama); each NAME reads NAME_BASE_URL, NAME_API_KEY, NAME_MODELS and NAME_PRICES")
    public static let caFile = ConfigVariable("SWITCHBOARD_CA_FILE", "PEM file of CA certificates to trust for HTTPS instead of the system's (TLS verification stays on)")
    public static let connectTimeout = ConfigVariable("SWITCHBOARD_CONNECT_TIMEOUT", default: "10", "Seconds to establish a connection to a provider")
    public static let firstByteTimeout = ConfigVariable("SWITCHBOARD_FIRST_BYTE_TIMEOUT", default: "60", "Seconds from sending a request to the first byte of the answer")
    public static let idleTimeout = ConfigVariable("SWITCHBOARD_IDLE_TIMEOUT", default: "30", "Longest silence in seconds in the middle of a streamed answer")
    public static let shutdownTimeout = ConfigVariable("SWITCHBOARD_SHUTDOWN_TIMEOUT", default: "20", "Seconds a stopping bot (SIGTERM, Ctrl-C) lets the answers in flight finish before cancelling them; a second signal exits at once")
    public static let requestTimeout = ConfigVariable("SWITCHBOARD_REQUEST_TIMEOUT", default: "300", "Seconds a whole request may take, answer included")
    public static let telegramBotToken = ConfigVariable("TELEGRAM_BOT_TOKEN", secret: true, "Telegram bot token from @BotFather; enables the bot")
    public static let telegramAPIBaseURL = ConfigVariable("TELEGRAM_API_BASE_URL", default: "https://api.telegram.org", "Telegram Bot API base URL (a local Bot API server works too)")
    public static let telegramAllowedUsers = ConfigVariable("TELEGRAM_ALLOWED_USERS", "Comma-separated user and group ids allowed to use the bot; empty = everyone (in production only with TELEGRAM_ALLOW_EVERYONE=true)")
    public static let telegramAllowEveryone = ConfigVariable("TELEGRAM_ALLOW_EVERYONE", default: "false", "true: an empty TELEGRAM_ALLOWED_USERS lets anyone use the bot, as meant (required in production, silences the warning)")
    public static let telegramAdminUsers = ConfigVariable("TELEGRAM_ADMIN_USERS", "Comma-separated user ids allowed to use admin commands")
    public static let telegramWebhookURL = ConfigVariable("TELEGRAM_WEBHOOK_URL", "Public https URL Telegram posts updates to (webhook mode); empty = long polling. Needs SWITCHBOARD_HTTP_LISTEN")
    public static let telegramWebhookSecret = ConfigVariable("TELEGRAM_WEBHOOK_SECRET", secret: true, "secret_token Telegram sends with every webhook request (1–256 of A-Z a-z 0-9 _ -); empty = a new random one each start")
    public static let httpListen = ConfigVariable("SWITCHBOARD_HTTP_LISTEN", "host:port of the small HTTP server for the webhook, /healthz and (without SWITCHBOARD_METRICS_LISTEN) /metrics (e.g. 127.0.0.1:8080); empty = no server")
    public static let metricsListen = ConfigVariable("SWITCHBOARD_METRICS_LISTEN", "host:port of a second server for /metrics and /healthz only (e.g. 127.0.0.1:9090), apart from the webhook; unauthenticated: keep it private. Empty = /metrics on SWITCHBOARD_HTTP_LISTEN")
    public static let database = ConfigVariable("SWITCHBOARD_DB", "SQLite database file; empty = $XDG_DATA_HOME/switchboard/switchboard.sqlite3 (~/.local/share/…)")
    public static let modelsFile = ConfigVariable("SWITCHBOARD_MODELS_FILE", "A JSON model catalog merged over the bundled one by id (add models or change prices without a rebuild)")
    public static let theme = ConfigVariable("SWITCHBOARD_THEME", default: "default", "Console colour theme: a file name in themes/ without .toml")

    /// Every variable Switchboard knows, in the order `.env.example` documents them.
    public static let all: [ConfigVariable] = [
        environment, logLevel, debugMode,
        openAIAPIKey, openAIOrganization, openAIBaseURL,
        anthropicAPIKey, anthropicBaseURL,
        compatibleProviders,
        preferredProvider, preferredModel,
        dailyQuota, hourlyQuota, globalDailyLimit, userDailyQuota, enableCostAlerts,
        enableCaching, cacheTTL, enableStreaming, enablePersonality, enableMemory, memoryWindow, enableMetrics, maxInputLength,
        masterKey,
        caFile, connectTimeout, firstByteTimeout, idleTimeout, requestTimeout, shutdownTimeout,
        telegramBotToken, telegramAPIBaseURL, telegramAllowedUsers, telegramAllowEveryone, telegramAdminUsers,
        telegramWebhookURL, telegramWebhookSecret, httpListen, metricsListen,
        database, modelsFile, theme,
    ]

    /// Looks a variable up by name.
    public static func named(_ name: String) -> ConfigVariable? {
        all.first { $0.name == name }
    }
}

extension ConfigVariable {
    /// The text of `.env.example`: every variable with its one-line comment and its default
    /// (`switchboard config example` prints it; a test keeps the file in the repo equal to it).
    public static var envExample: String {
        var lines = [
            "# Switchboard configuration. Copy to .env and fill in what you need; the real environment",
            "# wins over .env. Values shown are the defaults; empty means unset.",
            "# Extra OpenAI-compatible providers: LLM_COMPATIBLE_PROVIDERS=groq, then GROQ_BASE_URL,",
            "# GROQ_API_KEY, GROQ_MODELS (comma-separated model ids) and GROQ_PRICES (model=INPUT/OUTPUT",
            "# in USD per million tokens, model=free, or *=… for every model; unpriced models are not used).",
        ]
        for variable in all {
            lines.append("")
            lines.append("# " + variable.summary + (variable.isSecret ? " (secret)" : ""))
            lines.append("\(variable.name)=\(variable.defaultValue)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
