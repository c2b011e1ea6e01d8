# The bed's base image: busybox only, so no public registry is ever needed.
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
LABEL refit.testbed="1"
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# Exits promptly on SIGTERM (a plain sleep as PID 1 ignores it), so `docker stop` takes
# milliseconds rather than the 10 s kill timeout.
CMD ["sh", "-c", "trap 'exit 0' TERM INT; sleep 2147483647 & wait"]
