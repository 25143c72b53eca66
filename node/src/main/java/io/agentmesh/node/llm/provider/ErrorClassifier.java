package io.agentmesh.node.llm.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.node.llm.ErrorClass;

import java.net.http.HttpHeaders;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Decides the {@link ErrorClass} of a provider's error answer from its HTTP status, its headers and its body, and of
 * an error reported inside a stream after a 200. Pure: no IO, the wall clock passed in (for Retry-After dates).
 *
 * <p>Both formats put the reason in a JSON object: OpenAI (and Azure, DeepSeek, most compatible servers)
 * {@code {"error": {"message", "type", "code"}}}; Anthropic {@code {"type": "error", "error": {"type", "message"}}}.
 * The status decides first; the body refines a 429 (spend limit or rate limit) and a 400 (context length, content
 * policy, spend limit: Anthropic answers an exhausted credit balance with a 400).
 */
public final class ErrorClassifier {
    /** The longest excerpt of a provider's message kept in an outcome. */
    static final int MAX_MESSAGE_CHARS = 300;

    private static final Set<String> SPEND_CODES = Set.of("insufficient_quota", "billing_hard_limit_reached",
            "credit_balance_exhausted", "billing_error", "enforced_spend_limit_reached", "spend_limit_reached",
            "budget_exceeded", "insufficient_balance");
    private static final Set<String> CONTEXT_CODES = Set.of("context_length_exceeded", "string_above_max_length");
    private static final Set<String> CONTENT_CODES = Set.of("content_filter", "content_policy_violation",
            "responsibleaipolicyviolation");

    private final ObjectMapper json;

    public ErrorClassifier(ObjectMapper json) {
        this.json = json;
    }

    /** The class of an error, the provider's Retry-After as a delay, and a message for the operator. */
    public record Classified(ErrorClass error, OptionalLong retryAfterMs, String message) {
    }

    /** A provider's error as its body states it; fields are empty strings when absent. */
    public record ProviderError(String type, String code, String message) {
        static final ProviderError NONE = new ProviderError("", "", "");

        boolean isEmpty() {
            return type.isEmpty() && code.isEmpty() && message.isEmpty();
        }

        String describe() {
            StringBuilder s = new StringBuilder();
            if (!type.isEmpty()) {
                s.append(type);
            }
            if (!code.isEmpty() && !code.equals(type)) {
                s.append(s.isEmpty() ? "" : "/").append(code);
            }
            if (!message.isEmpty()) {
                s.append(s.isEmpty() ? "" : ": ").append(message);
            }
            return s.toString();
        }
    }

    /** Classifies a non-2xx answer. */
    public Classified classifyHttp(int status, HttpHeaders headers, String body, long nowMillis) {
        ProviderError error = errorIn(body);
        ErrorClass errorClass = switch (status) {
            case 402 -> ErrorClass.SPEND_LIMIT;
            case 429 -> isSpendLimit(error) ? ErrorClass.SPEND_LIMIT : ErrorClass.RATE_LIMITED;
            case 401, 403 -> ErrorClass.AUTH;
            case 404 -> ErrorClass.MODEL_NOT_FOUND;
            case 408 -> ErrorClass.TIMEOUT;
            case 409 -> ErrorClass.OVERLOADED;
            default -> {
                if (status >= 500 && status <= 599) {
                    yield ErrorClass.OVERLOADED;
                } else if (status >= 400 && status <= 499) {
                    yield refinedBadRequest(error);
                } else {
                    yield ErrorClass.MALFORMED_RESPONSE;
                }
            }
        };
        String detail = error.isEmpty() ? excerpt(body) : error.describe();
        return new Classified(errorClass, RetryAfter.parse(headers, nowMillis),
                "HTTP " + status + (detail.isEmpty() ? "" : " " + detail));
    }

    /** Classifies an error event inside a stream that had answered 200. */
    public Classified classifyInStream(ProviderError error) {
        String type = lower(error.type());
        ErrorClass errorClass;
        if (isSpendLimit(error)) {
            errorClass = ErrorClass.SPEND_LIMIT;
        } else if (type.equals("rate_limit_error") || lower(error.code()).equals("rate_limit_exceeded")) {
            errorClass = ErrorClass.RATE_LIMITED;
        } else if (type.equals("authentication_error") || type.equals("permission_error")) {
            errorClass = ErrorClass.AUTH;
        } else if (type.equals("not_found_error")) {
            errorClass = ErrorClass.MODEL_NOT_FOUND;
        } else if (type.equals("invalid_request_error")) {
            errorClass = refinedBadRequest(error);
        } else if (isContextTooLong(error)) {
            errorClass = ErrorClass.CONTEXT_TOO_LONG;
        } else if (isContentPolicy(error)) {
            errorClass = ErrorClass.CONTENT_POLICY;
        } else {
            // overloaded_error, api_error, server_error and anything unnamed: the provider failed mid-answer.
            errorClass = ErrorClass.OVERLOADED;
        }
        return new Classified(errorClass, OptionalLong.empty(), "error event in the stream: " + error.describe());
    }

    /**
     * The error object in a body, or {@link ProviderError#NONE} when the body is not JSON or names no error. Reads
     * {@code error} as an object (both formats) or as a string (some compatible servers).
     */
    public ProviderError errorIn(String body) {
        if (body == null || body.isBlank()) {
            return ProviderError.NONE;
        }
        JsonNode root;
        try {
            root = json.readTree(body);
        } catch (Exception e) {
            return ProviderError.NONE;
        }
        return errorIn(root);
    }

    ProviderError errorIn(JsonNode root) {
        if (root == null || !root.isObject()) {
            return ProviderError.NONE;
        }
        JsonNode error = root.get("error");
        if (error == null || error.isNull()) {
            return ProviderError.NONE;
        }
        if (error.isTextual()) {
            return new ProviderError("", "", clip(error.asText()));
        }
        if (!error.isObject()) {
            return ProviderError.NONE;
        }
        return new ProviderError(text(error.get("type")), text(error.get("code")), clip(text(error.get("message"))));
    }

    private static ErrorClass refinedBadRequest(ProviderError error) {
        if (isSpendLimit(error)) {
            return ErrorClass.SPEND_LIMIT;
        }
        if (isContextTooLong(error)) {
            return ErrorClass.CONTEXT_TOO_LONG;
        }
        if (isContentPolicy(error)) {
            return ErrorClass.CONTENT_POLICY;
        }
        return ErrorClass.BAD_REQUEST;
    }

    static boolean isSpendLimit(ProviderError error) {
        String message = lower(error.message());
        return SPEND_CODES.contains(lower(error.type())) || SPEND_CODES.contains(lower(error.code()))
                || message.contains("spend limit") || message.contains("spending limit")
                || message.contains("credit balance") || message.contains("exceeded your current quota")
                || message.contains("insufficient balance");
    }

    static boolean isContextTooLong(ProviderError error) {
        String message = lower(error.message());
        return CONTEXT_CODES.contains(lower(error.code())) || message.contains("maximum context length")
                || message.contains("prompt is too long") || message.contains("context length")
                || message.contains("context window");
    }

    static boolean isContentPolicy(ProviderError error) {
        String message = lower(error.message());
        return CONTENT_CODES.contains(lower(error.code())) || CONTENT_CODES.contains(lower(error.type()))
                || message.contains("content management policy") || message.contains("content policy")
                || message.contains("content filter");
    }

    private static String text(JsonNode node) {
        return node == null || node.isNull() || node.isContainerNode() ? "" : node.asText();
    }

    private static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    /** A body that is not JSON, cut to a line of printable text. */
    static String excerpt(String body) {
        return body == null ? "" : clip(body.strip());
    }

    static String clip(String s) {
        String oneLine = s.replaceAll("[\\p{Cntrl}]+", " ");
        return oneLine.length() <= MAX_MESSAGE_CHARS ? oneLine : oneLine.substring(0, MAX_MESSAGE_CHARS) + "...";
    }
}
