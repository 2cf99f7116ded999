//! TLS trust: a site whose certificate no trusted authority signed is refused (and gets no credential), and the
//! same site is reached once its authority is given in `TrustedCaFile` (a Data Center site on a private CA).

use std::sync::Arc;

use confluence_rest::{BasicAuth, ClientConfig, ConfluenceClient, Dialect, RestError};
use connstr::Secret;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::ServerConfig;

/// A private certificate authority, and a server certificate for `localhost` it signed.
struct PrivateCa {
    ca_pem: String,
    server_der: CertificateDer<'static>,
    server_key: PrivateKeyDer<'static>,
}

fn private_ca() -> PrivateCa {
    let ca_key = rcgen::KeyPair::generate().expect("key");
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name.push(rcgen::DnType::CommonName, "confluence-sql test CA");
    let ca_cert = ca.self_signed(&ca_key).expect("ca");
    let server_key = rcgen::KeyPair::generate().expect("key");
    let server = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
    let server_cert = server.signed_by(&server_key, &ca_cert, &ca_key).expect("signed");
    PrivateCa {
        ca_pem: ca_cert.pem(),
        server_der: server_cert.der().clone(),
        server_key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
    }
}

/// Serves one JSON list on `https://localhost:<port>` and counts requests that arrived (decrypted).
async fn tls_site(ca: &PrivateCa) -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
    let config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![ca.server_der.clone()], ca.server_key.clone_key())
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let port = listener.local_addr().expect("addr").port();
    let requests = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = requests.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (acceptor, counter) = (acceptor.clone(), counter.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else { return };
                let mut head = vec![0u8; 8192];
                let _ = tls.read(&mut head).await;
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let body = r#"{"results": [], "_links": {}}"#;
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(reply.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, requests)
}

fn client(port: u16, config: ClientConfig) -> ConfluenceClient {
    let site = url::Url::parse(&format!("https://localhost:{port}")).expect("url");
    let auth = Arc::new(BasicAuth::new("me@example.com", Secret::new("t0ken"), "User and APIToken"));
    ConfluenceClient::new(&config, Dialect::Cloud { api_base: site }, auth).expect("client")
}

#[tokio::test]
async fn a_private_ca_is_refused_unless_trusted() {
    let ca = private_ca();
    let (port, requests) = tls_site(&ca).await;
    let untrusted = client(port, ClientConfig::default());
    let error = untrusted.get(untrusted.dialect().v2("spaces").expect("url"), None).await.expect_err("refused");
    assert!(matches!(error, RestError::Transport { .. }), "{error}");
    assert!(error.to_string().to_lowercase().contains("certificate"), "{error}");
    assert_eq!(requests.load(std::sync::atomic::Ordering::SeqCst), 0, "no request (or credential) was sent");

    let dir = std::env::temp_dir().join(format!("confluence-rest-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let ca_file = dir.join("corp-ca.pem");
    std::fs::write(&ca_file, &ca.ca_pem).expect("writes");
    let trusting = client(port, ClientConfig { trusted_ca_file: Some(ca_file), ..ClientConfig::default() });
    let response = trusting.get(trusting.dialect().v2("spaces").expect("url"), None).await.expect("trusted");
    assert!(response.status.is_success());
    assert_eq!(requests.load(std::sync::atomic::Ordering::SeqCst), 1);
    let _ = std::fs::remove_dir_all(dir);
}
