// Pipeline::proxy: one client request sent to the model's targets until one answers. The order of
// decisions, once, here:
//   1. parse and select the model (400 / 404 before anything leaves the building); the policy
//      scan; the cache stage (a fresh stored answer is replayed and nothing leaves);
//   2. for each target in order: skip it at no cost if sovereign mode forbids its backend or its
//      BackendHealth is open, cut off or busy;
//   3. attempt; classify the outcome (FailureClassifier) and record it (BackendHealth);
//   4. ok → relay; client_error → the provider's answer (or the next target when the model has
//      fallback_on_client_error); server_error/overloaded → one jittered retry on the same backend
//      within the retry budget, then the next target; network, cut_off, rate_limited → next target;
//   5. nothing left: 403 when the policy allowed no target; a stale stored answer if there is one;
//      the last provider answer if there was one, else 502/504, or 503 when no target could even
//      be tried.
#include <random>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "gateway/header_filter.hpp"
#include "gateway/health_prober.hpp"
#include "gateway/log.hpp"
#include "gateway/openai_error.hpp"
#include "gateway/pipeline.hpp"
#include "gateway/policy_explain.hpp"
#include "gateway/protocol_bridge.hpp"
#include "gateway/request_body.hpp"
#include "gateway/request_cache.hpp"
#include "gateway/request_policy.hpp"
#include "gateway/stream_relay.hpp"

namespace sovgw {

namespace net = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
using backends::Classification;
using backends::FailureClass;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr std::size_t kMaxErrorBody = 1024 * 1024;  // an upstream error body we read to classify

// The request as it leaves for one backend: the client's headers minus credentials and
// hop-by-hop ones, the backend's host and key, sovgw's request id.
// An Anthropic backend gets its key as x-api-key, and the API version the client asked for when
// the client speaks Anthropic too (else the backend's configured one); anthropic-* headers of an
// Anthropic client mean nothing to an OpenAI backend.
backends::UpstreamRequest build_upstream_request(const ClientRequest& request, const backends::BackendConfig& backend,
                                                 const std::string& api_key, const std::string& path,
                                                 std::string body, const std::string& request_id,
                                                 Protocol client) {
  backends::UpstreamRequest up{http::verb::post, path, 11};
  copy_request_headers(request.base(), up.base());
  up.set(http::field::host, backend.url.host_header);
  up.set(http::field::content_type, "application/json");
  if (backend.protocol == Protocol::kAnthropic) {
    if (!api_key.empty()) up.set("x-api-key", api_key);
    if (client != Protocol::kAnthropic || request["anthropic-version"].empty()) {
      up.set("anthropic-version", backend.anthropic_version);
    }
    if (client != Protocol::kAnthropic) up.erase("anthropic-beta");
  } else {
    if (!api_key.empty()) up.set(http::field::authorization, "Bearer " + api_key);
    up.erase("anthropic-version");
    up.erase("anthropic-beta");
  }
  up.set("x-request-id", request_id);
  up.keep_alive(true);
  up.body() = std::move(body);
  up.prepare_payload();
  return up;
}

bool is_event_stream(const http::fields& headers) {
  std::string_view type = headers[http::field::content_type];
  return type.substr(0, 17) == "text/event-stream";
}

std::vector<backends::HttpHeader> header_views(const http::fields& fields) {
  std::vector<backends::HttpHeader> views;
  for (const auto& field : fields) views.push_back({field.name_string(), field.value()});
  return views;
}

// 50-250 ms: spreads the retries of many clients hit by the same blip.
milliseconds retry_jitter() {
  thread_local std::minstd_rand rng{std::random_device{}()};
  return milliseconds(50 + rng() % 201);
}

const Classification kOkResult{FailureClass::kOk, "ok", std::nullopt, false, false};

// stream_options.include_usage of an OpenAI request.
bool wants_usage(const json::value& body) {
  const auto* options = body.as_object().if_contains("stream_options");
  const auto* usage = options && options->is_object() ? options->as_object().if_contains("include_usage") : nullptr;
  return usage && usage->is_bool() && usage->as_bool();
}

}  // namespace

// A relayed stream's share of the record: it was answered (200) once content went out.
static void note_stream(Pipeline::Context& ctx, const StreamRelay& relay) {
  RequestRecord& rec = ctx.record;
  if (!relay.committed()) return;
  rec.status = 200;
  rec.bytes_out = relay.bytes_sent();
  if (!rec.time_to_first_token && relay.first_content_at()) rec.time_to_first_token = *relay.first_content_at() - rec.start;
  rec.input_tokens = relay.usage().prompt_tokens;
  rec.output_tokens = relay.usage().completion_tokens;
  if (rec.backend.empty() && !rec.attempts.empty()) rec.backend = rec.attempts.back().backend;
}

// What to do after a classified failure on one backend.
enum class Next { kRetrySame, kNextTarget, kDeliver };

static Next decide(const Classification& c, bool retried, bool fallback_on_client_error,
                   backends::BackendHealth& health) {
  switch (c.cls) {
    case FailureClass::kOk: return Next::kDeliver;
    case FailureClass::kClientError: return fallback_on_client_error ? Next::kNextTarget : Next::kDeliver;
    case FailureClass::kServerError:
    case FailureClass::kOverloaded:
      if (!retried && c.retry_same_backend && !c.request_only && !c.retry_after &&
          health.try_acquire_retry(Clock::now())) {
        return Next::kRetrySame;
      }
      return Next::kNextTarget;
    case FailureClass::kRateLimited:
    case FailureClass::kNetwork:
    case FailureClass::kCutOff: return Next::kNextTarget;
  }
  return Next::kNextTarget;
}

net::awaitable<bool> Pipeline::proxy(ClientRequest& request, Context& ctx, std::string_view api_path, bool can_stream) {
  std::string param;
  // The body's DOM in one or two blocks freed together, instead of a malloc per object and string.
  // Declared first: every json::value of this request (redacted copies too) dies before it.
  json::monotonic_resource body_arena(2 * request.body().size() + 1024);
  auto parsed = parse_body(request.body(), can_stream, param, &body_arena);
  if (!parsed) {
    co_return co_await send_error(ctx, parsed.error().code, parsed.error().detail,
                                  param.empty() ? std::nullopt : std::optional<std::string_view>(param));
  }
  SharedState& shared = worker_.shared();
  const Config& cfg = worker_.config();
  const ModelConfig* model = cfg.find_model(parsed->model);
  if (!model) {
    co_return co_await send_error(
        ctx, ErrorCode::kModelNotFound,
        "The model `" + parsed->model + "` does not exist or you do not have access to it.", "model");
  }

  // Policy: the body is scanned once here; each target below gets the policy's decision for it.
  std::optional<policy::DataClass> declared;
  if (std::string_view header = request["x-sovgw-data-class"]; !header.empty()) {
    declared = policy::parse_data_class(header);
    if (!declared) {
      co_return co_await send_error(ctx, ErrorCode::kInvalidRequest,
                                    "The x-sovgw-data-class header must be public, internal, confidential or secret.");
    }
  }
  RequestPolicy policy(shared.policy_engine, *cfg.policy.scanner, worker_.scratch(), parsed->value,
                       request_facts(cfg, ctx.tenant_config, model->name, declared), cfg.policy.max_scan_bytes);
  if (policy.scan_failed()) {
    log_warn("request_id=" + ctx.request_id + " PII scan failed (" + policy.scan_failure() +
             "): treated as containing every PII type");
  }
  RequestRecord& rec = ctx.record;
  rec.model = model->name;
  rec.model_known = true;
  rec.stream = parsed->stream;
  rec.data_class = std::string(policy::to_string(policy.facts().data_class));
  for (const auto& c : policy.facts().pii) rec.pii.push_back(PiiCount{c.detector, c.count});
  std::optional<policy::Decision> denial;  // the first target the policy refused, for the 403
  std::size_t policy_allowed = 0;          // targets the policy let this request reach

  // Cache: after the policy (the key covers the request as it leaves), before any target.
  RequestCache cached = RequestCache::decide(shared.cache.get(), cfg, *model, policy,
                                             {.api_path = api_path,
                                              .body = &parsed->value.as_object(),
                                              .cache_header = request["x-sovgw-cache"],
                                              .cache_control = request[http::field::cache_control],
                                              .tenant = ctx.tenant,
                                              .stream = parsed->stream});
  co_await cached.look_up();
  rec.cache_result = std::string(cached.result());
  if (const auto* hit = cached.fresh()) co_return co_await send_cached(ctx, *hit, parsed->stream, cached.include_usage());
  ctx.cache = &cached;

  std::optional<StreamRelay> relay;
  if (parsed->stream) {
    relay.emplace(client_, ctx.request_id, ctx.keep_alive);
    if (ctx.client_protocol == Protocol::kAnthropic) relay->translate_for_client("");
    relay->set_client_usage(wants_usage(parsed->value));
    relay->observe_with(shared.metrics, worker_.index());
    relay->capture_with(cached.capture());
    relay->set_cache_result(rec.cache_result);
  }
  std::optional<HeldResponse> held;  // the latest provider error answer
  std::optional<Error> last_error;   // the latest transport failure
  std::optional<Error> stream_cause; // what first broke a stream after content was sent
  std::string failures;              // for the client's message when nothing worked
  auto note = [&](const std::string& backend, std::string_view what) {
    failures += (failures.empty() ? "" : "; ") + backend + ": " + std::string(what);
  };
  const bool sovereign = shared.sovereign_mode.load(std::memory_order_relaxed);
  bool tried_any = false;
  bool only_busy = true;  // every target skipped so far was rate limited (→ 429, not 503)

  std::optional<Error> untranslatable;  // a request some target's protocol cannot express
  for (const TargetConfig& target : model->targets) {
    const backends::BackendConfig& backend = cfg.backends[target.backend_index];
    const std::string path = upstream_path(backend, api_path);
    if (path.empty()) {
      const std::string why = "speaks the Anthropic Messages API, which has no " + std::string(api_path);
      note(backend.name, why);
      if (!untranslatable) untranslatable = make_error(ErrorCode::kInvalidRequest, ErrorSource::kDownstream, false, why);
      only_busy = false;
      continue;
    }
    const bool recovering = relay && relay->committed();
    if (recovering) policy.add_output_text(relay->delivered());  // the answer so far may carry PII too
    const policy::Decision decision = policy.decide(backend);
    rec.targets.push_back(TargetDecision{backend.name, backend.jurisdiction, backend.local,
                                         std::string(policy::to_string(decision.action)), decision.rule});
    if (decision.action == policy::Action::kDeny) {
      if (!denial) denial = decision;
      only_busy = false;
      note(backend.name, "not allowed by policy rule \"" + decision.rule + "\"");
      continue;
    }
    ++policy_allowed;
    const policy::RedactionMapping* restore =
        decision.action == policy::Action::kPseudonymize ? &policy.mapping() : nullptr;
    if (sovereign && shared.foreign(backend)) {
      rec.targets.back().action = "skipped";
      only_busy = false;
      note(backend.name, "foreign, skipped in sovereign mode");
      continue;
    }
    Result<std::string> body = std::string();
    if (recovering) {
      // Mid-stream recovery: content already reached the client from another backend.
      if (!relay->recoverable()) break;
      const bool cont = backend.continuation != backends::Continuation::kNone &&
                        (api_path == "/chat/completions" || api_path == "/messages");
      std::string delivered;
      auto base = policy.continuation_base(decision, parsed->value, relay->delivered(), delivered);
      if (!base) {
        note(backend.name, "the delivered text could not be scanned for this target");
        continue;
      }
      relay->begin_recovery(cont ? StreamRelay::Mode::kContinue : StreamRelay::Mode::kRegenerate);
      body = cont ? continuation_for_backend(ctx.client_protocol, backend, std::move(*base), target.model, delivered,
                                             model->default_max_tokens)
                  : body_for_backend(ctx.client_protocol, backend, *base, target.model, model->default_max_tokens);
    } else if (RequestPolicy::rewrites(decision) && ctx.client_protocol == Protocol::kOpenAi &&
               backend.protocol == Protocol::kOpenAi) {
      body = policy.redacted_body(decision, parsed->value, target.model);
    } else if (RequestPolicy::rewrites(decision)) {
      json::value redacted = policy.redacted_value(decision, parsed->value, target.model);
      body = body_for_backend(ctx.client_protocol, backend, redacted, target.model, model->default_max_tokens);
    } else if (target.model == parsed->model && ctx.client_protocol == backend.protocol &&
               (backend.protocol == Protocol::kOpenAi || parsed->value.as_object().contains("max_tokens"))) {
      body = request.body();  // forwarded untouched
    } else {
      body = body_for_backend(ctx.client_protocol, backend, parsed->value, target.model, model->default_max_tokens);
    }
    if (!body) {
      // This target's protocol cannot carry the request (e.g. n > 1 for Anthropic).
      note(backend.name, body.error().detail);
      if (!untranslatable) untranslatable = body.error();
      rec.targets.back().action = "skipped";
      only_busy = false;
      continue;
    }
    backends::BackendHealth& health = *shared.health[target.backend_index];
    const auto admission = health.admit(Clock::now());
    if (!admission.allowed) {
      rec.targets.back().action = "skipped";
      note(backend.name, std::string("skipped, ") + std::string(backends::to_string(admission.state)));
      only_busy = only_busy && admission.state == backends::HealthState::kBusy;
      continue;
    }
    tried_any = true;
    health.record_request(Clock::now());
    if (!rec.attempts.empty() && rec.attempts.back().backend != backend.name) {
      rec.failovers.push_back(FailoverRecord{rec.attempts.back().backend, backend.name, rec.attempts.back().cls});
    }
    rec.policy_action = std::string(policy::to_string(decision.action));
    rec.policy_rule = decision.rule;

    const auto up = build_upstream_request(request, backend, shared.api_keys[target.backend_index], path,
                                           std::move(*body), ctx.request_id, ctx.client_protocol);
    backends::ExchangeTimeouts timeouts;
    timeouts.first_byte =
        milliseconds(parsed->stream ? backend.stream_first_byte_timeout_ms : backend.first_byte_timeout_ms);
    timeouts.idle = milliseconds(backend.stream_idle_timeout_ms);

    for (bool retried = false;; retried = true) {
      timeouts.deadline = std::min(ctx.deadline, Clock::now() + milliseconds(backend.total_timeout_ms));
      ++ctx.attempts;
      backends::UpstreamCancel cancel;
      Result<std::unique_ptr<backends::UpstreamExchange>> exchange = Error{};
      const auto attempt_start = Clock::now();
      {
        ClientConnection::HangupWatch watch(client_, cancel);
        exchange = co_await backends::UpstreamExchange::start(worker_.pool(target.backend_index), up, timeouts, &cancel);
      }
      rec.upstream_duration += Clock::now() - attempt_start;
      Classification result;
      if (!exchange) {
        if (exchange.error().code == ErrorCode::kClientGone) co_return false;
        result = shared.classifier.classify(exchange.error());
        last_error = exchange.error();
        note(backend.name, exchange.error().detail);
      } else if (const unsigned status = (*exchange)->status(); status >= 200 && status < 300) {
        health.record(kOkResult, Clock::now(), admission.is_probe);
        rec.attempts.push_back(AttemptRecord{backend.name, "ok", "ok"});
        if (!relay) co_return co_await send_buffered(ctx, std::move(*exchange), backend, restore);
        if (!is_event_stream((*exchange)->headers())) {
          if (!relay->committed()) co_return co_await send_buffered(ctx, std::move(*exchange), backend, restore);
          note(backend.name, "answered a recovery attempt without a stream");
          break;  // a JSON answer cannot be spliced into a stream already begun
        }
        relay->set_restorer(restore);
        const auto relay_start = Clock::now();
        auto outcome = co_await relay->relay(**exchange, backend, target.backend_index, ctx.attempts);
        rec.upstream_duration += Clock::now() - relay_start;
        exchange->reset();
        note_stream(ctx, *relay);
        // (if, not switch: g++ 12 miscompiles co_await inside switch cases)
        if (outcome.result == StreamRelay::Result::kCompleted) {
          rec.backend = backend.name;  // after a recovery: the one that finished (and reported the usage)
          const bool reusable = co_await relay->finish();
          const auto executor = co_await net::this_coro::executor;
          if (relay->capturing()) cached.keep_stream(executor);  // after the client has it all
          co_return reusable;
        }
        if (outcome.result == StreamRelay::Result::kClientGone) co_return false;
        result = outcome.error_body.empty()
                     ? shared.classifier.classify(outcome.error)
                     : shared.classifier.classify(500, {}, outcome.error_body, std::chrono::system_clock::now());
        last_error = outcome.error;
        note(backend.name, outcome.error.detail);
        if (outcome.result == StreamRelay::Result::kFailedAfterContent) {
          health.record(result, Clock::now(), admission.is_probe);
          log_warn("request_id=" + ctx.request_id + " stream from " + backend.name + " failed after content (" +
                   result.reason + "): " + outcome.error.detail);
          if (!stream_cause) stream_cause = outcome.error;
          break;  // recovery continues on the next target
        }
      } else {
        auto error_body = co_await (*exchange)->read_body(kMaxErrorBody);
        if (!error_body) {
          if (error_body.error().code == ErrorCode::kClientGone) co_return false;
          result = shared.classifier.classify(error_body.error());
          last_error = error_body.error();
          note(backend.name, error_body.error().detail);
        } else {
          const auto views = header_views((*exchange)->headers());
          result = shared.classifier.classify(status, views, *error_body, std::chrono::system_clock::now());
          held = HeldResponse{status, (*exchange)->headers(), std::move(*error_body), backend.name, backend.protocol};
          note(backend.name, "HTTP " + std::to_string(status) + " (" + result.reason + ")");
        }
      }
      exchange = Error{};  // release the connection before waiting or moving on
      health.record(result, Clock::now(), admission.is_probe);
      if (rec.attempts.empty() || rec.attempts.back().backend != backend.name || rec.attempts.back().cls != "ok") {
        rec.attempts.push_back(AttemptRecord{backend.name, std::string(backends::to_string(result.cls)), result.reason});
      } else {
        rec.attempts.back() = AttemptRecord{backend.name, std::string(backends::to_string(result.cls)), result.reason};
      }
      if (result.cls == FailureClass::kCutOff) {
        log_error("backend " + backend.name + " CUT OFF (" + result.reason + "): out of rotation until a health check succeeds");
        check_auto_sovereign(shared);
      }
      log_warn("request_id=" + ctx.request_id + " model=" + model->name + " backend=" + backend.name +
               " attempt failed: " + std::string(backends::to_string(result.cls)) + " (" + result.reason + ")");
      if (relay && relay->committed()) break;  // recovering a stream: only other targets can help
      const Next next = decide(result, retried, model->fallback_on_client_error, health);
      if (next == Next::kDeliver && held) co_return co_await send_held(ctx, *held);
      if (next != Next::kRetrySame) break;
      net::steady_timer pause(co_await net::this_coro::executor, retry_jitter());
      co_await pause.async_wait(net::as_tuple(net::use_awaitable));
    }
  }

  if (relay && relay->committed()) {
    // Content went out but no target could finish the answer: say so in band, with the original
    // cause (not a fallback's refusal), and no [DONE].
    const Error cause = stream_cause.value_or(last_error.value_or(Error{}));
    rec.outcome = "stream_error";
    co_return co_await relay->end_with_error(
        cause.code, "The stream broke after content was sent and no remaining target could complete it; the answer "
                    "is incomplete (" + cause.detail + ").");
  }
  if (policy_allowed == 0 && denial) {
    // Not one target may receive this request: refuse it, never fall through to a forbidden one.
    log_warn("request_id=" + ctx.request_id + " tenant=" + ctx.tenant + " model=" + model->name +
             " refused by policy rule \"" + denial->rule + "\"");
    rec.outcome = "policy_denied";
    rec.policy_action = "deny";
    rec.policy_rule = denial->rule;
    co_return co_await send_error(ctx, denial->pii_types.empty() ? ErrorCode::kPolicyDenied : ErrorCode::kPiiEgressBlocked,
                                  denial_message(*denial, model->name, policy.scan_failed()));
  }
  if (const auto* stale = cached.stale()) {
    // Every target failed or none could be tried: a known answer beats an error.
    log_warn("request_id=" + ctx.request_id + " model=" + model->name + " no target answered (" + failures +
             "): serving a stale cached answer");
    rec.cache_result = "stale";
    cached.note_stale_served();
    co_return co_await send_cached(ctx, *stale, parsed->stream, cached.include_usage());
  }
  if (held) co_return co_await send_held(ctx, *held);
  if (!tried_any && untranslatable) {
    co_return co_await send_error(ctx, ErrorCode::kInvalidRequest,
                                  "No target of model `" + model->name + "` can take this request: " + failures + ".");
  }
  if (!tried_any && only_busy) {
    co_return co_await send_error(ctx, ErrorCode::kRateLimited,
                                  "Every target of model `" + model->name + "` is rate limited now (" + failures +
                                      "); retry shortly.");
  }
  if (!tried_any) {
    co_return co_await send_error(ctx, ErrorCode::kNoTarget,
                                  "No target of model `" + model->name + "` is available now (" + failures + ").");
  }
  co_return co_await send_error(ctx, last_error ? last_error->code : ErrorCode::kUpstreamConnect,
                                "No target of model `" + model->name + "` could answer: " + failures + ".");
}

}  // namespace sovgw
