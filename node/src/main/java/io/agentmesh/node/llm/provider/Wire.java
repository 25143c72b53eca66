package io.agentmesh.node.llm.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.node.llm.Usage;
import io.agentmesh.node.llm.provider.ErrorClassifier.Classified;
import io.agentmesh.node.llm.provider.ErrorClassifier.ProviderError;

import java.util.OptionalLong;

/**
 * What agentmesh itself checks in a provider's 2xx answer, on the raw bytes, before trusting LangChain4j's result:
 * that it parses, carries no error object, states its usage, and (for a stream) that its terminal event came.
 * LangChain4j reports a stream complete when the connection closes, with or without {@code [DONE]} (OpenAI), and
 * skips a chunk it cannot parse (Anthropic); neither may become a success here (Portkey #1797).
 */
abstract sealed class Wire permits Wire.OpenAi, Wire.Anthropic {
    /** What a complete answer states. {@code finishReason} and {@code responseId} are empty when absent. */
    record Facts(Usage usage, String finishReason, String responseId) {
    }

    final ObjectMapper json;
    final ErrorClassifier classifier;

    Wire(ObjectMapper json, ErrorClassifier classifier) {
        this.json = json;
        this.classifier = classifier;
    }

    /** Reads a non-streamed 2xx body. */
    abstract Facts readAnswer(String body) throws BadAnswer;

    abstract StreamWatch newStreamWatch();

    /** Whether a finish reason means the provider withheld the answer on policy grounds. */
    abstract boolean isPolicyStop(String finishReason);

    /** Watches one stream's raw events. Called from one parsing thread at a time. */
    abstract static class StreamWatch {
        /** Reads one event before LangChain4j does; a non-null result ends the attempt with that failure. */
        abstract Classified onEvent(String event, String data);

        /** What {@link #lastHadContent()} answers: each format's {@link #onEvent} sets it for the event it reads. */
        protected boolean lastHadContent;
        /** The response's id as the stream named it, empty until it does. */
        protected String id = "";

        /**
         * Whether the last event carried content (text, reasoning or a tool call): what stops the first-token deadline.
         * Read from the raw event, so a model's streamed reasoning counts even when LangChain4j does not pass it on.
         */
        final boolean lastHadContent() {
            return lastHadContent;
        }

        /** Whether every terminal event the format promises has arrived. */
        abstract boolean ended();

        /** The terminal events still missing, for the failure's message. */
        abstract String missing();

        abstract Usage usageSoFar();

        /** The usage of an ended stream; a stream that stated none is malformed. */
        abstract Usage finalUsage() throws BadAnswer;

        abstract String finishReason();

        final String responseId() {
            return id;
        }
    }

    JsonNode parseObject(String text, String what) throws BadAnswer {
        JsonNode node;
        try {
            node = json.readTree(text);
        } catch (Exception e) {
            throw BadAnswer.malformed(what + " is not JSON: " + ErrorClassifier.excerpt(shorten(text)));
        }
        if (node == null || !node.isObject()) {
            throw BadAnswer.malformed(what + " is not a JSON object: " + ErrorClassifier.excerpt(shorten(text)));
        }
        return node;
    }

    BadAnswer errorAnswer(ProviderError error) {
        Classified c = classifier.classifyInStream(error);
        return new BadAnswer(c.error(), "an error in a 2xx answer: " + error.describe(), Usage.NONE);
    }

    static Classified asFailure(BadAnswer bad) {
        return new Classified(bad.error, OptionalLong.empty(), bad.getMessage());
    }

    static String text(JsonNode node) {
        return node == null || node.isNull() || node.isContainerNode() ? "" : node.asText();
    }

    private static String shorten(String text) {
        return text == null ? "" : text.length() <= 80 ? text : text.substring(0, 80);
    }

    /** OpenAI's chat completions, as OpenAI, Azure, DeepSeek and compatible servers speak it. */
    static final class OpenAi extends Wire {
        private final boolean deepSeek;

        OpenAi(ObjectMapper json, ErrorClassifier classifier, boolean deepSeek) {
            super(json, classifier);
            this.deepSeek = deepSeek;
        }

        @Override
        Facts readAnswer(String body) throws BadAnswer {
            JsonNode root = parseObject(body, "the answer");
            ProviderError error = classifier.errorIn(root);
            if (!error.isEmpty()) {
                throw errorAnswer(error);
            }
            JsonNode choices = root.get("choices");
            if (choices == null || !choices.isArray() || choices.isEmpty()) {
                throw BadAnswer.malformed("the answer has no choices");
            }
            Usage usage = UsageReader.openAi(root.get("usage"), deepSeek);
            return new Facts(usage, text(choices.get(0).get("finish_reason")), text(root.get("id")));
        }

        @Override
        boolean isPolicyStop(String finishReason) {
            return "content_filter".equals(finishReason);
        }

        @Override
        StreamWatch newStreamWatch() {
            return new StreamWatch() {
                private boolean done;
                private String finishReason = "";
                private Usage usage;

                @Override
                Classified onEvent(String event, String data) {
                    lastHadContent = false;
                    if ("[DONE]".equals(data.strip())) {
                        done = true;
                        return null;
                    }
                    try {
                        if ("error".equals(event)) {
                            ProviderError error = classifier.errorIn(data);
                            return classifier.classifyInStream(error.isEmpty()
                                    ? new ProviderError("", "", ErrorClassifier.excerpt(data)) : error);
                        }
                        JsonNode chunk = parseObject(data, "a stream chunk");
                        ProviderError error = classifier.errorIn(chunk);
                        if (!error.isEmpty()) {
                            return classifier.classifyInStream(error);
                        }
                        if (id.isEmpty()) {
                            id = text(chunk.get("id"));
                        }
                        JsonNode usageNode = chunk.get("usage");
                        if (usageNode != null && usageNode.isObject()) {
                            usage = UsageReader.openAi(usageNode, deepSeek);
                        }
                        JsonNode choices = chunk.get("choices");
                        if (choices != null && choices.isArray() && !choices.isEmpty()) {
                            String finish = text(choices.get(0).get("finish_reason"));
                            if (!finish.isEmpty()) {
                                finishReason = finish;
                            }
                            JsonNode delta = choices.get(0).path("delta");
                            lastHadContent = !text(delta.get("content")).isEmpty()
                                    || !text(delta.get("reasoning_content")).isEmpty()
                                    || !text(delta.get("reasoning")).isEmpty()
                                    || (delta.path("tool_calls").isArray() && !delta.path("tool_calls").isEmpty())
                                    || delta.path("function_call").isObject();
                        }
                        return null;
                    } catch (BadAnswer bad) {
                        return asFailure(bad);
                    }
                }

                @Override
                boolean ended() {
                    return done && !finishReason.isEmpty();
                }

                @Override
                String missing() {
                    if (!done && finishReason.isEmpty()) {
                        return "a finish_reason and [DONE]";
                    }
                    return done ? "a finish_reason" : "[DONE]";
                }

                @Override
                Usage usageSoFar() {
                    return usage == null ? Usage.NONE : usage;
                }

                @Override
                Usage finalUsage() throws BadAnswer {
                    if (usage == null) {
                        throw BadAnswer.malformed("the stream ended without its usage chunk"
                                + " (stream_options.include_usage)");
                    }
                    return usage;
                }

                @Override
                String finishReason() {
                    return finishReason;
                }
            };
        }
    }

    /** Anthropic's messages API. */
    static final class Anthropic extends Wire {
        Anthropic(ObjectMapper json, ErrorClassifier classifier) {
            super(json, classifier);
        }

        @Override
        Facts readAnswer(String body) throws BadAnswer {
            JsonNode root = parseObject(body, "the answer");
            ProviderError error = classifier.errorIn(root);
            if (!error.isEmpty()) {
                throw errorAnswer(error);
            }
            if (!"message".equals(text(root.get("type")))) {
                throw BadAnswer.malformed("the answer is not a message: type " + text(root.get("type")));
            }
            UsageReader.Anthropic usage = new UsageReader.Anthropic();
            usage.add(root.get("usage"));
            return new Facts(usage.complete(), text(root.get("stop_reason")), text(root.get("id")));
        }

        @Override
        boolean isPolicyStop(String finishReason) {
            return "refusal".equals(finishReason);
        }

        @Override
        StreamWatch newStreamWatch() {
            return new StreamWatch() {
                private final UsageReader.Anthropic usage = new UsageReader.Anthropic();
                private boolean stopped;
                private String stopReason = "";

                @Override
                Classified onEvent(String event, String data) {
                    lastHadContent = false;
                    String trimmed = data.strip();
                    if (trimmed.isEmpty() || "[DONE]".equals(trimmed)) {
                        return null;
                    }
                    try {
                        JsonNode node = parseObject(data, "a stream event");
                        String type = event != null ? event : text(node.get("type"));
                        switch (type) {
                            case "error" -> {
                                return classifier.classifyInStream(classifier.errorIn(node));
                            }
                            case "message_start" -> {
                                JsonNode message = node.path("message");
                                id = text(message.get("id"));
                                usage.add(message.get("usage"));
                            }
                            case "message_delta" -> {
                                String stop = text(node.path("delta").get("stop_reason"));
                                if (!stop.isEmpty()) {
                                    stopReason = stop;
                                }
                                usage.add(node.get("usage"));
                            }
                            case "message_stop" -> stopped = true;
                            case "content_block_delta" -> lastHadContent = node.path("delta").isObject();
                            default -> {
                                // content blocks and pings: LangChain4j assembles them
                            }
                        }
                        return null;
                    } catch (BadAnswer bad) {
                        return asFailure(bad);
                    }
                }

                @Override
                boolean ended() {
                    return stopped;
                }

                @Override
                String missing() {
                    return "message_stop";
                }

                @Override
                Usage usageSoFar() {
                    return usage.soFar();
                }

                @Override
                Usage finalUsage() throws BadAnswer {
                    return usage.complete();
                }

                @Override
                String finishReason() {
                    return stopReason;
                }
            };
        }
    }
}
