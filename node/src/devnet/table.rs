//! The devnet's view of a verifier: connect to its gRPC API and render every dataset with
//! the same table `proofmesh health` prints (`crate::grpc::table`).

use super::DevnetError;
use crate::grpc::table::render_dataset;
use proofmesh_proto::wire::pb;
use proofmesh_proto::wire::pb::health_service_client::HealthServiceClient;

/// Connects to a node's gRPC API (`host:port` or a URL).
pub(crate) async fn connect(
    addr: &str,
) -> Result<HealthServiceClient<tonic::transport::Channel>, DevnetError> {
    let url = if addr.contains("://") {
        addr.to_owned()
    } else {
        format!("http://{addr}")
    };
    HealthServiceClient::connect(url)
        .await
        .map_err(|e| DevnetError::Grpc {
            addr: addr.to_owned(),
            why: e.to_string(),
        })
}

/// Every dataset of the node at `addr`, rendered.
pub(super) async fn fetch(addr: &str) -> Result<String, DevnetError> {
    let mut client = connect(addr).await?;
    let page = client
        .list_datasets(pb::ListDatasetsRequest::default())
        .await
        .map_err(|e| DevnetError::Grpc {
            addr: addr.to_owned(),
            why: e.message().to_owned(),
        })?
        .into_inner();
    Ok(page
        .datasets
        .iter()
        .flat_map(render_dataset)
        .collect::<Vec<_>>()
        .join("\n"))
}
