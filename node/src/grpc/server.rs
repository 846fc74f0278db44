//! The node's gRPC server: `proofmesh.v1.HealthService` beside `grpc.health.v1` (reports it
//! SERVING, NOT_SERVING once shutdown begins) and server reflection (v1 and v1alpha, which
//! grpcurl tries in turn), so `grpcurl -plaintext ADDR list` works without proto files.

use std::time::Duration;

use proofmesh_proto::wire::pb::health_service_server::HealthServiceServer;
use proofmesh_proto::wire::FILE_DESCRIPTOR_SET;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::TcpIncoming;
use tonic::transport::Server;

use super::service::ServerShutdown;
use super::HealthApi;

/// How long shutdown waits for open connections (say a `grpc.health.v1` Watch) to close
/// after the listener stopped, before `serve` returns anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Why the gRPC server could not start or stopped serving. Never a peer's or a client's
/// fault (a bad request is a `Status` to that client, not an error here): a build or host
/// problem for the operator.
#[derive(Debug, thiserror::Error)]
pub enum GrpcError {
    /// The reflection service rejected the embedded descriptor sets (a build problem).
    #[error("cannot build the gRPC reflection service: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    /// The transport failed while serving.
    #[error("gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// Serves the health API on `listener` until `shutdown` is cancelled, then stops accepting,
/// ends open `WatchHealth` streams and waits (at most a short grace) for connections to close.
pub async fn serve(
    listener: TcpListener,
    api: HealthApi,
    shutdown: CancellationToken,
) -> Result<(), GrpcError> {
    let (reporter, health_service) = tonic_health::server::health_reporter();
    reporter
        .set_serving::<HealthServiceServer<HealthApi>>()
        .await;
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1 = reflection().build_v1()?;
    let reflection_v1alpha = reflection().build_v1alpha()?;
    let addr = listener.local_addr().ok();
    tracing::info!(?addr, "gRPC health API listening");

    let signal = {
        let shutdown = shutdown.clone();
        let reporter = reporter.clone();
        async move {
            shutdown.cancelled().await;
            reporter
                .set_not_serving::<HealthServiceServer<HealthApi>>()
                .await;
        }
    };
    let token = ServerShutdown(shutdown.clone());
    let api = HealthServiceServer::with_interceptor(api, move |mut req: tonic::Request<()>| {
        req.extensions_mut().insert(token.clone());
        Ok(req)
    });
    let server = Server::builder()
        .add_service(health_service)
        .add_service(api)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        // TCP_NODELAY: a reply written in more than one segment would otherwise wait ~40 ms
        // for the client's delayed ACK (Nagle), which capped GetDataset at ~23 requests/s
        // per connection (docs/performance.md).
        .serve_with_incoming_shutdown(TcpIncoming::from(listener).with_nodelay(Some(true)), signal);
    tokio::select! {
        result = server => result?,
        () = async {
            shutdown.cancelled().await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => tracing::warn!(
            grace = ?SHUTDOWN_GRACE,
            "gRPC connections still open after the shutdown grace; leaving them"
        ),
    }
    tracing::info!(?addr, "gRPC health API stopped");
    Ok(())
}
