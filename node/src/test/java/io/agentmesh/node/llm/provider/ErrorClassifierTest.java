package io.agentmesh.node.llm.provider;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.provider.ErrorClassifier.ProviderError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.http.HttpHeaders;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ErrorClassifierTest {
    private final ErrorClassifier classifier = new ErrorClassifier(new ObjectMapper());
    private static final HttpHeaders NONE = HttpHeaders.of(Map.of(), (a, b) -> true);

    private ErrorClass classify(int status, String body) {
        return classifier.classifyHttp(status, NONE, body, 0).error();
    }

    private static String openAi(String type, String code, String message) {
        return "{\"error\":{\"message\":\"" + message + "\",\"type\":\"" + type + "\",\"code\":\"" + code + "\"}}";
    }

    private static String anthropic(String type, String message) {
        return "{\"type\":\"error\",\"error\":{\"type\":\"" + type + "\",\"message\":\"" + message + "\"}}";
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "429, RATE_LIMITED", "402, SPEND_LIMIT", "401, AUTH", "403, AUTH", "404, MODEL_NOT_FOUND",
            "408, TIMEOUT", "409, OVERLOADED", "400, BAD_REQUEST", "413, BAD_REQUEST", "422, BAD_REQUEST",
            "500, OVERLOADED", "502, OVERLOADED", "503, OVERLOADED", "504, OVERLOADED", "529, OVERLOADED",
            "302, MALFORMED_RESPONSE"})
    void theStatusDecidesWhenTheBodySaysNothing(int status, ErrorClass expected) {
        assertEquals(expected, classify(status, "<html>upstream error</html>"));
    }

    @Test
    void spendLimitBodiesTurnA429IntoASpendLimit() {
        assertEquals(ErrorClass.SPEND_LIMIT, classify(429, openAi("insufficient_quota", "insufficient_quota",
                "You exceeded your current quota")));
        assertEquals(ErrorClass.SPEND_LIMIT, classify(429, anthropic("enforced_spend_limit_reached",
                "limit reached")));
        assertEquals(ErrorClass.SPEND_LIMIT, classify(429, openAi("requests", "credit_balance_exhausted",
                "no credit")));
        assertEquals(ErrorClass.RATE_LIMITED, classify(429, anthropic("rate_limit_error", "slow down")));
    }

    @Test
    void a400IsRefinedByWhatItsBodySays() {
        assertEquals(ErrorClass.CONTEXT_TOO_LONG, classify(400, openAi("invalid_request_error",
                "context_length_exceeded", "too long")));
        assertEquals(ErrorClass.CONTEXT_TOO_LONG, classify(400, anthropic("invalid_request_error",
                "prompt is too long: 210000 tokens > 200000 maximum")));
        assertEquals(ErrorClass.CONTEXT_TOO_LONG, classify(400, openAi("invalid_request_error", "",
                "This model's maximum context length is 65536 tokens")));
        assertEquals(ErrorClass.CONTENT_POLICY, classify(400, openAi("invalid_request_error", "content_filter",
                "filtered")));
        assertEquals(ErrorClass.SPEND_LIMIT, classify(400, anthropic("invalid_request_error",
                "Your credit balance is too low to access the Anthropic API.")));
        assertEquals(ErrorClass.BAD_REQUEST, classify(400, openAi("invalid_request_error", "",
                "Unrecognized request argument supplied: foo")));
    }

    @Test
    void theMessageNamesTheStatusAndTheProvidersReasonOnOneClippedLine() {
        String message = classifier.classifyHttp(400, NONE, anthropic("invalid_request_error",
                "line one\\nline two " + "x".repeat(1_000)), 0).message();

        assertTrue(message.startsWith("HTTP 400 invalid_request_error: line one line two"), message);
        assertTrue(message.length() < ErrorClassifier.MAX_MESSAGE_CHARS + 60, "clipped: " + message.length());
    }

    @Test
    void retryAfterIsReadFromTheHeaders() {
        HttpHeaders headers = HttpHeaders.of(Map.of("Retry-After", List.of("4")), (a, b) -> true);

        assertEquals(OptionalLong.of(4_000), classifier.classifyHttp(429, headers, "", 0).retryAfterMs());
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "overloaded_error, OVERLOADED", "api_error, OVERLOADED", "rate_limit_error, RATE_LIMITED",
            "authentication_error, AUTH", "not_found_error, MODEL_NOT_FOUND",
            "invalid_request_error, BAD_REQUEST", "something_new, OVERLOADED"})
    void anErrorInsideAStreamIsClassifiedByItsType(String type, ErrorClass expected) {
        assertEquals(expected, classifier.classifyInStream(new ProviderError(type, "", "boom")).error());
    }

    @Test
    void aBodyThatIsNotJsonNamesNoError() {
        assertTrue(classifier.errorIn("not json").isEmpty());
        assertTrue(classifier.errorIn("{\"choices\":[]}").isEmpty());
        assertEquals("plain", classifier.errorIn("{\"error\":\"plain\"}").message());
    }
}
