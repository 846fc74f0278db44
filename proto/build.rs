//! Generates the protobuf message types with prost, using the vendored `protoc` so a fresh
//! machine needs no system package. With the `grpc` feature it also generates the tonic
//! client and server of the health API and the descriptor set that server reflection serves.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    println!("cargo:rerun-if-changed=proto");
    #[cfg(feature = "grpc")]
    {
        let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
        let mut config = prost_build::Config::new();
        config.protoc_executable(protoc);
        tonic_prost_build::configure()
            .file_descriptor_set_path(out.join("proofmesh_descriptor.bin"))
            .compile_with_config(
                config,
                &[
                    "proto/proofmesh/v1/messages.proto",
                    "proto/proofmesh/v1/health.proto",
                ],
                &["proto"],
            )?;
    }
    #[cfg(not(feature = "grpc"))]
    {
        let mut config = prost_build::Config::new();
        config.protoc_executable(protoc);
        config.compile_protos(&["proto/proofmesh/v1/messages.proto"], &["proto"])?;
    }
    Ok(())
}
