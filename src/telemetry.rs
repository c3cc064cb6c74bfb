//! Logging: `tracing` to standard error, filtered by `RUST_LOG` (default `info`), as text or,
//! with `--log-format json`, one JSON object per line for log collectors. Every line logged
//! while a GraphQL request runs carries its request id (the `request` span).
//!
//! Built with the `otel` feature, the same spans are also exported as OpenTelemetry traces
//! over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (the standard OpenTelemetry
//! variables configure the exporter).

use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Installs the text log subscriber once; later calls (tests) are ignored.
pub fn init() {
    init_with(false);
}

/// Installs the log subscriber once, as JSON lines when `json`.
pub fn init_with(json: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let (text, json_layer) = if json {
        (
            None,
            Some(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_writer(std::io::stderr),
            ),
        )
    } else {
        (
            Some(tracing_subscriber::fmt::layer().with_writer(std::io::stderr)),
            None,
        )
    };
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(text)
        .with(json_layer)
        .with(otel::layer())
        .try_init();
}

#[cfg(feature = "otel")]
mod otel {
    use opentelemetry::trace::TracerProvider;
    use tracing_subscriber::registry::LookupSpan;

    /// The OpenTelemetry layer when an OTLP endpoint is configured.
    pub fn layer<S>()
    -> Option<tracing_opentelemetry::OpenTelemetryLayer<S, opentelemetry_sdk::trace::Tracer>>
    where
        S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    {
        std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT")?;
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .build()
            .ok()?;
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .build();
        let tracer = provider.tracer("regiograaf");
        opentelemetry::global::set_tracer_provider(provider);
        Some(tracing_opentelemetry::layer().with_tracer(tracer))
    }
}

#[cfg(not(feature = "otel"))]
mod otel {
    /// Without the `otel` feature there is nothing to export to.
    pub fn layer() -> Option<tracing_subscriber::layer::Identity> {
        None
    }
}
