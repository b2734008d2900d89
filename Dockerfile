# lbctl controller image: non-root, no writable root filesystem needed (only /tmp).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY lbctl ./lbctl
COPY providers ./providers
# emulators/ (for `lbctl demo` and the tests) is left out: the controller never imports it.
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
COPY --from=build /install /usr/local
USER 65532:65532
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
ENTRYPOINT ["lbctl"]
CMD ["run", "--leader-elect"]
