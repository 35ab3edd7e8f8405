import Testing

@testable import Core

@Suite struct RedactorTests {
    @Test func everyRegisteredSecretIsMaskedWhereverItStands() {
        let redactor = Redactor()
        redactor.register(["sk-live-0123456789abcdef", "s3cret_token-1", "abc"])
        #expect(redactor.scrub("401: Bearer sk-live-0123456789abcdef is not valid") == "401: Bearer [redacted] is not valid")
        #expect(redactor.scrub("x-secret=s3cret_token-1&again=s3cret_token-1") == "x-secret=[redacted]&again=[redacted]")
        #expect(redactor.scrub("abc stays: too short to be told from words") == "abc stays: too short to be told from words")
    }

    @Test func urlEncodedFormsAndBotTokensAreMaskedToo() {
        let redactor = Redactor()
        redactor.register(["123:key with/slash"])
        #expect(redactor.scrub("GET /path?k=123%3Akey%20with%2Fslash") == "GET /path?k=[redacted]")
        // A bot token, configured or not, in a proxy's error page.
        let page = "<h1>502</h1><p>upstream /bot7123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0/getMe failed</p>"
        #expect(Redactor().scrub(page) == "<h1>502</h1><p>upstream /bot[redacted]/getMe failed</p>")
    }

    @Test func aSecretContainingAnotherIsMaskedWhole() {
        let redactor = Redactor()
        redactor.register(["secret1", "secret1-and-more"])
        #expect(redactor.scrub("key secret1-and-more") == "key [redacted]")
    }
}
